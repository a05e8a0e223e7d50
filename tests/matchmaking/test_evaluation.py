"""evaluate_matching's metrics agree with ranx (an independent implementation) on graded and
decimal qrels, BEIR qrels with decimal scores are read, and the harness scores candidates
with the shared BM25 exactly."""

import json
import warnings

import numpy as np
import pytest
from django.core.management import call_command

from matchmaking.evaluation import Corpus, lexical_stats, metrics, read_qrels, reliability, two_stage
from matchmaking.index.base import Query, bm25_scores, query_terms

# Six queries over documents d0..d9: binary, graded (2/1, as csl-dev discipline) and decimal
# grades (as some BEIR files), a query whose relevant document is never retrieved, one ranked
# below 10 and one with more than ten relevant documents.
QRELS = {
    "q1": {"d1": 1},
    "q2": {"d3": 2, "d4": 1, "d9": 1},
    "q3": {"d2": 0.5, "d5": 2.5, "d7": 1.25},
    "q4": {"d8": 1},
    "q5": {"d0": 0.75, "d6": 0.25},
    "q6": {f"e{i}": (1 + i % 3) / 2 for i in range(14)},
}
RUNS = {
    "q1": ["d0", "d1", "d2", "d3"],
    "q2": ["d4", "d0", "d3", "d5", "d6", "d9"],
    "q3": ["d7", "d2", "d0", "d1", "d5"],
    "q4": ["d0", "d1", "d2"],
    "q5": [f"x{i}" for i in range(11)] + ["d6", "d0"],
    "q6": ["x0", "e3", "e1", "x1", "e0", "e7", "e13", "x2", "e2", "e4", "e5", "e6", "x3", "e9"],
}


def _ranx(metric, k):
    """Mean of a ranx metric over the queries, from its numba kernels fed directly, so that
    decimal grades reach it unchanged (ranx's Qrels would truncate them to integers)."""
    from numba.typed import List
    from ranx import metrics as ranx_metrics

    names = sorted({d for q in (QRELS, RUNS) for docs in q.values() for d in docs})
    number = {d: float(i) for i, d in enumerate(names)}
    qrels, runs = List(), List()
    for q in sorted(QRELS):
        # ranx keeps judgements sorted by grade, best first (its ideal ranking is read from them)
        judged = sorted(QRELS[q].items(), key=lambda item: -item[1])
        qrels.append(np.array([[number[d], g] for d, g in judged], dtype=np.float64))
        ranked = RUNS[q]
        runs.append(np.array([[number[d], float(len(ranked) - i)] for i, d in enumerate(ranked)], dtype=np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # rel_lvl: every positive grade counts as relevant, as in evaluate_matching
        values = getattr(ranx_metrics, metric)(qrels, runs, k, 1e-9)
    return float(np.mean(values))


def test_metrics_agree_with_ranx_on_graded_and_decimal_qrels():
    ours = metrics(RUNS, QRELS, digits=None)
    assert ours["ndcg@10"] == pytest.approx(_ranx("ndcg_burges", 10), abs=1e-12)
    assert ours["mrr@10"] == pytest.approx(_ranx("reciprocal_rank", 10), abs=1e-12)
    assert ours["recall@10"] == pytest.approx(_ranx("recall", 10), abs=1e-12)
    assert ours["recall@100"] == pytest.approx(_ranx("recall", 100), abs=1e-12)
    # the fixture is not degenerate: every metric is strictly between 0 and 1
    assert all(0 < value < 1 for value in ours.values())


def test_metrics_agree_with_ranx_public_api_on_integer_grades():
    from ranx import Qrels, Run, evaluate

    qrels = {"q1": {"d1": 1}, "q2": {"d3": 2, "d4": 1, "d9": 1}, "q4": {"d8": 1}}
    runs = {q: RUNS[q] for q in qrels}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = evaluate(
            Qrels(qrels),
            Run({q: {d: float(len(r) - i) for i, d in enumerate(r)} for q, r in runs.items()}),
            ["ndcg_burges@10", "mrr@10", "recall@10", "recall@100"],
        )
    ours = metrics(runs, qrels, digits=None)
    assert ours["ndcg@10"] == pytest.approx(theirs["ndcg_burges@10"], abs=1e-12)
    assert ours["mrr@10"] == pytest.approx(theirs["mrr@10"], abs=1e-12)
    assert ours["recall@10"] == pytest.approx(theirs["recall@10"], abs=1e-12)
    assert ours["recall@100"] == pytest.approx(theirs["recall@100"], abs=1e-12)


def test_read_qrels_keeps_decimal_scores_and_skips_the_header(tmp_path):
    path = tmp_path / "qrels.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t0.5\nq1\td2\t2\nq2\td1\t1.75\nq2\td3\t0\n")
    assert read_qrels(path) == {"q1": {"d1": 0.5, "d2": 2.0}, "q2": {"d1": 1.75, "d3": 0.0}}


def test_read_qrels_reads_trec_layout(tmp_path):
    path = tmp_path / "qrels.txt"
    path.write_text("q1 0 d1 1\nq1 0 d2 0.5\n")
    assert read_qrels(path) == {"q1": {"d1": 1.0, "d2": 0.5}}


def test_read_qrels_names_a_bad_line(tmp_path):
    path = tmp_path / "qrels.tsv"
    path.write_text("q\tc\ts\nq1\td1\t1\nq1\td2\tvery\n")
    with pytest.raises(ValueError, match="qrels.tsv:3"):
        read_qrels(path)


def test_corpus_bm25_is_the_shared_reference_over_exact_statistics():
    tokens = [["电池", "电解质", "电池"], ["电池", "光伏"], ["育种", "水稻", "水稻", "抗病"]]
    corpus = Corpus.build(["a", "b", "c"], tokens, ["zh-hans"] * 3, [None] * 3, {})
    stats = lexical_stats(tokens)
    assert (stats.documents, stats.average_length, stats.df["电池"], stats.df["水稻"]) == (3, 3.0, 2, 1)
    query = Query(tokens=["电池", "电解质"], vectors={})
    candidates = corpus.all_candidates(query)
    expected = bm25_scores(query_terms(query.tokens, stats), [(corpus.token_counts[i]) for i in range(3)], stats)
    assert [c.bm25 for c in candidates] == [score for score, _ in expected]
    assert candidates[0].shared_terms == ["电解质", "电池"] and candidates[2].bm25 == 0.0


def test_two_stage_is_the_union_of_dense_and_lexical_tops():
    vectors = {"m": np.eye(4, dtype=np.float32)}
    corpus = Corpus.build(list("abcd"), [["x"], ["y"], ["x", "y"], ["z"]], ["en"] * 4, [None] * 4, vectors)
    query = Query(tokens=["z"], vectors={"m": np.array([0.0, 1.0, 0.0, 0.0], dtype=np.float32)}, language="en")
    chosen = two_stage(corpus.all_candidates(query), query, dense_k=1, lexical_k=1)
    assert [c.id for c in chosen] == [1, 3]  # b by cosine, d by its shared term


def test_reliability_table_and_expected_calibration_error():
    probabilities = np.array([0.05, 0.05, 0.85, 0.95])
    labels = np.array([0.0, 1.0, 1.0, 1.0])
    result = reliability(probabilities, labels)
    assert [row["pairs"] for row in result["table"]] == [2, 1, 1]
    # |0.05 - 0.5| * 2 + |0.85 - 1| + |0.95 - 1|, over 4 pairs
    assert result["ece"] == pytest.approx((0.9 + 0.15 + 0.05) / 4, abs=1e-4)


@pytest.fixture
def tiny_set(tmp_path):
    corpus = [
        {"_id": "d1", "title": "固态锂电池", "text": "固态锂电池电解质的制备方法，提高储能电池安全性。"},
        {"_id": "d2", "title": "水稻育种", "text": "水稻抗稻瘟病分子育种技术，已完成中试。"},
        {"_id": "d3", "title": "缺陷检测", "text": "基于深度学习的工业视觉缺陷检测系统。"},
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in corpus))
    queries = [{"_id": "q1", "text": "储能电池电解质"}, {"_id": "q2", "text": "工业视觉检测"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries))
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1.5\nq2\td3\t0.5\nq2\td1\t0\n")
    return tmp_path


def test_evaluate_matching_accepts_decimal_qrels_and_reports_every_variant(tiny_set, settings):
    settings.EMBEDDING_MODEL = "hash:64"
    settings.EMBEDDING_EXTRA_MODELS = []
    out = tiny_set / "eval.json"
    call_command(
        "evaluate_matching",
        "--corpus", str(tiny_set / "corpus.jsonl"),
        "--queries", str(tiny_set / "queries.jsonl"),
        "--qrels", str(tiny_set / "qrels.tsv"),
        "--json", str(out),
        "--features-out", str(tiny_set / "features.npz"),
        "--cache", "",
    )  # fmt: skip
    results = json.loads(out.read_text())
    assert set(results) == {"hybrid", "hybrid_whole_corpus", "dense", "lexical", "candidates", "calibration", "setup"}
    # both queries find their document first by shared words
    assert results["lexical"] == {"ndcg@10": 1.0, "mrr@10": 1.0, "recall@10": 1.0, "recall@100": 1.0}
    assert results["candidates"]["ratio"] == 1.0
    dump = np.load(tiny_set / "features.npz")
    assert dump["x"].shape == (6, len(dump["features"])) and sorted(dump["label"].tolist()) == [0, 0, 0, 0, 0.5, 1.5]
