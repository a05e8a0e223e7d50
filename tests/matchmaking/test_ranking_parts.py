"""The parts of the ranking: tokens, lexical retrieval for Chinese, the English specialist's
reach, structured fit and reasons, owner scores, and the English dev set."""

import numpy as np
import pytest

from matchmaking.evaluation import owner_scores
from matchmaking.fusion import DEFAULT_MODEL, FEATURES, feature_matrix
from matchmaking.index import IndexEntry, Query
from matchmaking.index.exact import ExactMatchingIndex
from matchmaking.retrieval import rank
from matchmaking.structured import reasons, structured_score
from matchmaking.text import tokenize, weighted_document

DOCS = [
    (1, "固态锂电池电解质", ["固态电池", "电解质"], "提高储能电池安全性和能量密度。", "zh-hans"),
    (2, "水稻抗病育种", ["水稻", "稻瘟病"], "分子育种提高水稻抗稻瘟病能力。", "zh-hans"),
    (3, "Perovskite solar cells", ["photovoltaic"], "Stable perovskite films.", "en"),
    (4, "废旧动力电池回收", ["电池回收", "锂回收"], "湿法冶金回收锂钴镍。", "zh-hans"),
]


def _index(vectors=None):
    index = ExactMatchingIndex()
    index.upsert(
        [
            IndexEntry("achievement", i, weighted_document(t, k, b), (vectors or {}).get(i, {}), language)
            for i, t, k, b, language in DOCS
        ]
    )
    return index


def test_tokenize_segments_chinese_adds_bigrams_and_stems_english():
    tokens = tokenize("固态电池的Solid-state batteries")
    assert "固态" in tokens and "电池" in tokens
    assert "#固态" in tokens and "#态电" in tokens
    assert {"solid", "state", "battery"} <= set(tokens)
    assert "的" not in tokens


def test_lexical_ranking_finds_chinese_without_spaces():
    pairs = rank(
        "achievement",
        Query(tokenize("寻求锂电池电解质技术"), {}),
        top_k=2,
        index=_index(),
        models={},
        model=DEFAULT_MODEL,
    )
    assert pairs[0].candidate.id == 1
    # no vectors here, so no meaning: the probability is tiny, but the words still order the list
    assert 0 <= pairs[0].score < 1 and set(pairs[0].components) == {"dense", "lexical"}


def test_excluded_documents_are_never_returned():
    def found(exclude):
        pairs = rank(
            "achievement",
            Query(tokenize("电池回收"), {}),
            top_k=4,
            index=_index(),
            models={},
            model=DEFAULT_MODEL,
            exclude=exclude,
        )
        return [p.candidate.id for p in pairs]

    assert found(set()) == [4, 1]  # both battery records match, the recycling one first
    assert found({4}) == [1]
    assert found({1, 4}) == []


def test_english_specialist_scores_english_pairs_only():
    vectors = {i: {"minilm": np.array([1.0, 0.0], np.float32), "e5": np.array([0.0, 1.0], np.float32)} for i in (1, 3)}
    index = _index(vectors)
    specialists = {"minilm": True, "e5": False}
    both = {"minilm": np.array([1.0, 0.0]), "e5": np.array([0.0, 1.0])}
    stats = index.lexical_stats("achievement")
    column = {name: i for i, name in enumerate(FEATURES)}
    english = Query(tokenize("solar"), both, language="en")
    chinese = Query(tokenize("电池"), both, language="zh-hans")
    en_rows = feature_matrix(english, index.score("achievement", english, [1, 3]), stats, specialists)
    zh_rows = feature_matrix(chinese, index.score("achievement", chinese, [1, 3]), stats, specialists)
    # English query: the specialist reads the English record (id 3) only; e5 scores every pair
    assert en_rows[:, column["has_dense_en"]].tolist() == [0.0, 1.0]
    assert zh_rows[:, column["has_dense_en"]].tolist() == [0.0, 0.0]
    assert en_rows[:, column["dense"]].tolist() == pytest.approx([1.0, 1.0])


def test_structured_fit_and_reasons():
    good_doc = {"field": "new-energy", "trl": 7, "modes": {"license"}, "price_min": 50, "district": "a"}
    bad_doc = {"field": "biomedicine", "trl": 3, "modes": {"transfer"}, "price_min": 900, "district": "b"}
    need = {"field": "new-energy", "required_trl": 6, "modes": {"license"}, "budget_max": 100, "district": "a"}
    assert structured_score(need, good_doc) == pytest.approx(1.0) and structured_score(need, bad_doc) < 0.3
    assert structured_score({}, good_doc) is None
    good = {r["code"] for r in reasons(need, good_doc)}
    bad = {r["code"]: r["for"] for r in reasons(need, bad_doc)}
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


@pytest.mark.parametrize(
    ("need", "doc", "expected"),
    [
        # values of the former vectorised scorer: the scalar one must give the same fit
        (
            {"field": "b", "district": "y", "required_trl": 6, "budget_max": 200.5, "modes": ["m2", "m3"]},
            {"field": "a", "district": "x", "trl": 4, "modes": []},
            0.3083333373069763,  # other field, 2 TRL short, price unknown (counts against), other district
        ),
        (
            {"field": None, "district": "y", "required_trl": 3, "budget_max": 200.5, "modes": ["m3", "m2"]},
            {"field": "b", "district": "y", "price_min": 0, "modes": ["m2", "m1"]},
            0.5,
        ),
        (
            {"field": "b", "required_trl": 9, "budget_max": 50},
            {"field": "b", "trl": 7, "price_min": 100},
            0.7583333253860474,
        ),
        ({"field": "a", "modes": ["m1"]}, {"field": "a", "trl": 4, "modes": ["m2"]}, 0.800000011920929),
    ],
)
def test_structured_fit_of_one_pair(need, doc, expected):
    assert structured_score(need, doc) == pytest.approx(expected, abs=1e-7)
