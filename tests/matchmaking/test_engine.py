import numpy as np
import pytest

from matchmaking.engine import Ranker, Record, Weights, owner_scores
from matchmaking.structured import StructuredScorer, reasons
from matchmaking.text import tokenize

DOCS = [
    Record(id=1, title="固态锂电池电解质", keywords=["固态电池", "电解质"], body="提高储能电池安全性和能量密度。"),
    Record(id=2, title="水稻抗病育种", keywords=["水稻", "稻瘟病"], body="分子育种提高水稻抗稻瘟病能力。"),
    Record(
        id=3, title="Perovskite solar cells", keywords=["photovoltaic"], body="Stable perovskite films.", language="en"
    ),
    Record(id=4, title="废旧动力电池回收", keywords=["电池回收", "锂回收"], body="湿法冶金回收锂钴镍。"),
    Record(id=5, title="工业视觉缺陷检测", keywords=["机器视觉"], body="深度学习实时质检。"),
]


def test_tokenize_segments_chinese_adds_bigrams_and_stems_english():
    tokens = tokenize("固态电池的Solid-state batteries")
    assert "固态" in tokens and "电池" in tokens
    assert "#固态" in tokens and "#态电" in tokens
    assert {"solid", "state", "battery"} <= set(tokens)
    assert "的" not in tokens


def test_lexical_ranking_finds_chinese_without_spaces():
    ranker = Ranker(DOCS)
    hits = ranker.rank([Record(id="q", body="寻求锂电池电解质技术")], top_k=2)[0]
    assert hits[0].id == 1
    assert 0 <= hits[0].score <= 1 and hits[0].rank == 1
    assert set(hits[0].components) == {"lexical"}  # too few documents for a topic space, no vectors


def test_fused_scores_are_weighted_means_in_unit_interval():
    vectors = np.eye(5, 8, dtype=np.float32)
    ranker = Ranker(DOCS, vectors=vectors, multilingual=True, weights=Weights(lexical=1, topic=0, dense=1))
    hits = ranker.rank([Record(id="q", body="水稻育种")], query_vectors=np.eye(1, 8, k=1), top_k=5)[0]
    top = hits[0]
    assert top.id == 2
    assert top.score == round((top.components["lexical"] + top.components["dense"]) / 2, 4)
    assert all(0 <= h.score <= 1 for h in hits)


def test_english_only_model_is_not_trusted_on_chinese_pairs():
    vectors = np.ones((5, 4), dtype=np.float32)  # the model thinks everything is identical
    ranker = Ranker(DOCS, vectors=vectors, multilingual=False)
    chinese = ranker.rank([Record(id="q", body="水稻")], query_vectors=np.ones((1, 4)), top_k=5)[0]
    assert all("dense" not in h.components for h in chinese)
    english = ranker.rank([Record(id="q", body="perovskite", language="en")], query_vectors=np.ones((1, 4)), top_k=5)[0]
    assert english[0].id == 3 and english[0].components["dense"] == 1.0


def test_excluded_documents_are_never_returned():
    ranker = Ranker(DOCS)
    hits = ranker.rank([Record(id="q", body="锂电池")], top_k=5, exclude=[{1}])[0]
    assert [h.id for h in hits][:1] == [4]  # the excluded best match is skipped
    assert all(h.id != 1 for h in hits)


def test_shared_terms_are_for_highlighting():
    ranker = Ranker(DOCS)
    query = Record(id="q", body="废旧电池回收锂")
    hit = ranker.rank([query], top_k=1)[0][0]
    terms = ranker.shared_terms(query, hit.index)
    assert hit.id == 4
    assert "回收" in terms and not any(t.startswith("#") for t in terms)


def test_topic_space_links_documents_without_shared_words():
    topics = ["电池 电解质 储能 锂离子", "水稻 育种 稻瘟病 抗病", "机器视觉 缺陷 检测 质检"]
    docs = []
    for i in range(60):
        words = topics[i % 3].split()
        docs.append(Record(id=i, body=" ".join(words[(i // 3) % 4 :] + words[: (i // 3) % 4]) + f" 样本{i}"))
    ranker = Ranker(docs, topic_dims=8)
    assert ranker.doc_topics is not None
    hits = ranker.rank([Record(id="q", body="电解质")], top_k=10)[0]
    assert all(h.id % 3 == 0 for h in hits)


def test_structured_scorer_and_reasons():
    docs = [
        Record(id=1, attrs={"field": "new-energy", "trl": 7, "modes": {"license"}, "price_min": 50, "district": "a"}),
        Record(
            id=2, attrs={"field": "biomedicine", "trl": 3, "modes": {"transfer"}, "price_min": 900, "district": "b"}
        ),
    ]
    need = Record(
        id="n",
        attrs={"field": "new-energy", "required_trl": 6, "modes": {"license"}, "budget_max": 100, "district": "a"},
    )
    scores = StructuredScorer(docs)(need)
    assert scores[0] == 1.0 and scores[1] < 0.3
    good = {r["code"] for r in reasons(need.attrs, docs[0].attrs)}
    bad = {r["code"]: r["for"] for r in reasons(need.attrs, docs[1].attrs)}
    assert good == {"same_field", "maturity_ok", "modes_match", "price_within_budget", "same_district"}
    assert bad == {
        "different_field": False,
        "maturity_below": False,
        "no_common_mode": False,
        "price_above_budget": False,
    }


def test_owner_scores_take_best_document_plus_support():
    scores = owner_scores(np.array([0.9, 0.5, 0.8, 0.1]), ["a", "a", "b", None])
    assert scores == {"a": 0.9 + 0.05, "b": 0.8}


def test_english_specialist_scores_english_pairs_and_multilingual_model_the_rest():
    docs = [Record(id=1, body="水稻育种"), Record(id=2, body="rice breeding", language="en")]
    english_only = np.array([[1.0, 0.0], [0.3, 0.954]], dtype=np.float32)
    multilingual = np.array([[0.0, 1.0], [0.8, 0.6]], dtype=np.float32)
    ranker = Ranker(docs, vectors=[("minilm", english_only, False), ("e5", multilingual, True)])
    queries = [Record(id="zh", body="育种"), Record(id="en", body="breeding", language="en")]
    vectors = {"minilm": np.array([[1.0, 0.0], [1.0, 0.0]]), "e5": np.array([[0.0, 1.0], [0.0, 1.0]])}
    scores, present = ranker.components(queries, vectors)["dense"]
    assert present.all()
    assert scores[0].tolist() == pytest.approx([1.0, 0.6], abs=1e-3)  # Chinese query: e5 for both documents
    assert scores[1].tolist() == pytest.approx([1.0, 0.3], abs=1e-3)  # English pair: MiniLM; mixed pair: e5


def test_english_specialist_weighs_dense_english_on_english_pairs_only():
    docs = [Record(id=1, body="水稻育种"), Record(id=2, body="rice breeding", language="en")]
    english_only = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    multilingual = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    weights = Weights(lexical=1, topic=0, dense=0.5, structured=0, dense_english=2.0)
    ranker = Ranker(docs, vectors=[("minilm", english_only, False), ("e5", multilingual, True)], weights=weights)
    queries = [Record(id="en", body="breeding", language="en")]
    vectors = {"minilm": np.array([[0.0, 1.0]]), "e5": np.array([[1.0, 0.0]])}
    components = ranker.components(queries, vectors)
    scores, multiplier = components["dense"]
    assert multiplier[0].tolist() == [1.0, 4.0]  # e5 on the mixed pair, MiniLM (2.0 / 0.5) on the English one
    lexical = components["lexical"][0][0]
    fused = ranker.fuse(components)[0]
    assert fused[0] == pytest.approx((lexical[0] + 0.5 * scores[0, 0]) / 1.5)
    assert fused[1] == pytest.approx((lexical[1] + 2.0 * scores[0, 1]) / 3.0)
    assert ranker.fuse(components, "dense")[0].tolist() == pytest.approx(scores[0].tolist())


def test_english_docstring_set_is_a_valid_beir_layout(tmp_path):
    from bench.english_docstring_set import build
    from matchmaking.evaluation import read_jsonl, read_qrels

    figures = build(tmp_path)
    corpus = {row["_id"]: row for row in read_jsonl(tmp_path / "corpus.jsonl")}
    queries = read_jsonl(tmp_path / "queries.jsonl")
    assert figures["documents"] == len(corpus) == len(queries) > 300
    summary = read_qrels(tmp_path / "qrels" / "summary.tsv")
    module = read_qrels(tmp_path / "qrels" / "module.tsv")
    query = queries[0]
    (own,) = summary[query["_id"]]
    assert corpus[own]["text"] and query["text"] not in corpus[own]["text"]
    assert module[query["_id"]][own] == 2
    assert {corpus[d]["owner"] for d in module[query["_id"]]} == {corpus[own]["owner"]}
