"""The embedded matching index (matchmaking/index/local.py): semantics, agreement with the
reference BM25 and exact cosine, filters, persistence across processes, and per-record costs."""

import datetime
import multiprocessing
import os
import threading
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest

from matchmaking.index import inverted, local
from matchmaking.index.base import IndexEntry, LexicalStats, Query, bm25_scores, query_terms
from matchmaking.index.journal import decode_line
from matchmaking.index.local import LocalMatchingIndex

KIND = "achievement"
VOCABULARY = [f"t{i}" for i in range(400)]


def unit(rng, dim):
    vector = rng.standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def random_tokens(rng, low=3, high=60):
    # Zipf-like: a few common terms, a long tail of rare ones.
    ranks = np.minimum(rng.zipf(1.3, size=int(rng.integers(low, high))), len(VOCABULARY)) - 1
    return [VOCABULARY[r] for r in ranks]


def make_entry(rng, record_id, *, kind=KIND, models=("m",), dim=8, audience="public", **extra):
    return IndexEntry(
        kind=kind,
        id=record_id,
        tokens=extra.pop("tokens", None) or random_tokens(rng),
        vectors={model: unit(rng, dim) for model in models},
        language=extra.pop("language", "zh-hans"),
        owner=extra.pop("owner", record_id % 7 or None),
        audience=audience,
        attrs=extra.pop("attrs", {"field": f"f{record_id % 3}"}),
    )


def reference_stats(entries) -> LexicalStats:
    df = Counter()
    for entry in entries:
        df.update(set(entry.tokens))
    total = sum(len(e.tokens) for e in entries)
    return LexicalStats(len(entries), total / len(entries) if entries else 0.0, dict(df))


def reference_lexical(entries, query_tokens):
    """id -> (bm25, shared terms), by base.bm25_scores over the whole corpus."""
    stats = reference_stats(entries)
    terms = query_terms(query_tokens, stats)
    scored = bm25_scores(terms, [(Counter(e.tokens), len(e.tokens)) for e in entries], stats)
    return {e.id: result for e, result in zip(entries, scored, strict=True)}


def reference_top(scores: dict, k: int) -> list[int]:
    ranked = sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], i))
    return ranked[:k]


def assert_stats_equal(actual: LexicalStats, expected: LexicalStats):
    assert actual.documents == expected.documents
    assert actual.average_length == pytest.approx(expected.average_length, rel=1e-12)
    assert dict(actual.df) == expected.df


@pytest.fixture
def rng():
    return np.random.default_rng(12)


@pytest.fixture
def index(tmp_path):
    opened = LocalMatchingIndex(tmp_path / "index", snapshot_every=0, connectivity=16, expansion_add=64)
    yield opened
    opened.close()


# -- semantics --------------------------------------------------------------------------------


def test_upsert_replace_delete_semantics(index, rng):
    first = [make_entry(rng, i) for i in range(1, 6)]
    index.upsert(first)
    assert index.ids(KIND) == {1, 2, 3, 4, 5}
    assert index.count(KIND) == 5
    assert index.ids("need") == set() and index.count("need") == 0

    replacement = make_entry(rng, 3, tokens=["alpha", "beta", "beta"], attrs={"field": "new"}, owner=42)
    index.upsert([replacement])
    assert index.count(KIND) == 5
    stored = index.entry(KIND, 3)
    assert stored.tokens == ["alpha", "beta", "beta"]
    assert stored.attrs == {"field": "new"} and stored.owner == 42
    np.testing.assert_array_equal(stored.vectors["m"], replacement.vectors["m"])
    # The old tokens of record 3 no longer count anywhere.
    current = [e for e in first if e.id != 3] + [replacement]
    assert_stats_equal(index.lexical_stats(KIND), reference_stats(current))

    index.delete(KIND, [2, 4, 999])
    assert index.ids(KIND) == {1, 3, 5}
    assert index.entry(KIND, 2) is None
    assert index.score(KIND, Query(["alpha"], {}), [2, 3]) == index.score(KIND, Query(["alpha"], {}), [3])
    remaining = [e for e in current if e.id in {1, 3, 5}]
    assert_stats_equal(index.lexical_stats(KIND), reference_stats(remaining))
    # Deleted records are no candidates, by vector or by words.
    query = Query(first[1].tokens, {"m": first[1].vectors["m"]})
    assert {c.id for c in index.candidates(KIND, query, dense_k=10, lexical_k=10)} <= {1, 3, 5}

    index.delete(KIND, [1, 3, 5])
    assert index.count(KIND) == 0
    assert index.candidates(KIND, query, dense_k=10, lexical_k=10) == []
    assert_stats_equal(index.lexical_stats(KIND), LexicalStats(0, 0.0, {}))


def test_the_last_version_in_one_upsert_wins(index, rng):
    old, new = make_entry(rng, 7, tokens=["old"]), make_entry(rng, 7, tokens=["new"])
    index.upsert([old, new])
    assert index.count(KIND) == 1
    assert index.entry(KIND, 7).tokens == ["new"]
    np.testing.assert_array_equal(index.entry(KIND, 7).vectors["m"], new.vectors["m"])


def test_kinds_are_separate(index, rng):
    index.upsert([make_entry(rng, 1, tokens=["shared"]), make_entry(rng, 1, kind="need", tokens=["shared", "x"])])
    assert index.entry(KIND, 1).tokens == ["shared"]
    assert index.entry("need", 1).tokens == ["shared", "x"]
    index.delete("need", [1])
    assert index.ids(KIND) == {1} and index.ids("need") == set()
    assert index.lexical_stats(KIND).documents == 1


def test_lexical_stats_are_exact_after_every_update(index, rng):
    stored: dict[int, IndexEntry] = {}
    for step in range(150):
        action = rng.random()
        if action < 0.6 or not stored:
            entry = make_entry(rng, int(rng.integers(0, 60)))
            index.upsert([entry])
            stored[entry.id] = entry
        else:
            victim = int(rng.choice(list(stored)))
            index.delete(KIND, [victim])
            del stored[victim]
        assert_stats_equal(index.lexical_stats(KIND), reference_stats(list(stored.values()))), step


def test_stats_taken_earlier_do_not_change(index, rng):
    index.upsert([make_entry(rng, 1, tokens=["a", "b"])])
    before = index.lexical_stats(KIND)
    index.upsert([make_entry(rng, 2, tokens=["a", "c"])])
    assert (before.documents, dict(before.df)) == (1, {"a": 1, "b": 1})
    assert dict(index.lexical_stats(KIND).df) == {"a": 2, "b": 1, "c": 1}


def test_entry_round_trips_attrs_tokens_and_vectors(index, rng):
    attrs = {
        "field": "ic",
        "modes": {"licence", "transfer"},
        "frozen": frozenset({1, 2}),
        "pair": (1, "x"),
        "price_min": Decimal("12.50"),
        "since": datetime.date(2025, 3, 1),
        "nested": {"$tricky": [1, 2.5, None, True]},
        "by_number": {1: "one"},
    }
    entry = make_entry(rng, 5, tokens=["b", "a", "b", "c"], attrs=attrs, owner=None, language="en", audience="brokers")
    index.upsert([entry])
    stored = index.entry(KIND, 5)
    assert stored.tokens == ["b", "a", "b", "c"]
    assert stored.attrs == attrs
    assert isinstance(stored.attrs["frozen"], frozenset) and isinstance(stored.attrs["pair"], tuple)
    assert (stored.owner, stored.language, stored.audience, stored.kind, stored.id) == (None, "en", "brokers", KIND, 5)
    assert stored.vectors["m"].dtype == np.float32
    np.testing.assert_array_equal(stored.vectors["m"], entry.vectors["m"])
    # Changing what entry() returned does not change the index.
    stored.attrs["modes"].add("changed")
    assert index.entry(KIND, 5).attrs["modes"] == {"licence", "transfer"}


def test_bad_input_is_rejected_before_anything_is_written(index, rng):
    index.upsert([make_entry(rng, 1, dim=8)])
    with pytest.raises(ValueError, match="dimensions"):
        index.upsert([make_entry(rng, 2, dim=8), make_entry(rng, 3, dim=5)])
    with pytest.raises(ValueError, match="non-finite"):
        index.upsert([IndexEntry(KIND, 4, ["a"], {"m": np.full(8, np.nan)})])
    with pytest.raises(TypeError, match="cannot store"):
        index.upsert([make_entry(rng, 5, attrs={"when": object()})])
    assert index.ids(KIND) == {1}
    reopened = LocalMatchingIndex(index.directory)
    assert reopened.ids(KIND) == {1}
    reopened.close()


# -- lexical retrieval ------------------------------------------------------------------------


def test_bm25_and_shared_terms_agree_with_the_reference(index, rng):
    stored = {i: make_entry(rng, i) for i in range(300)}
    index.upsert(list(stored.values()))
    # Replacements and deletions leave dead postings behind: scores must not see them.
    for i in rng.choice(300, size=80, replace=False).tolist():
        stored[i] = make_entry(rng, i)
        index.upsert([stored[i]])
    for i in rng.choice(sorted(stored), size=40, replace=False).tolist():
        del stored[i]
        index.delete(KIND, [i])
    entries = list(stored.values())
    for _ in range(25):
        tokens = random_tokens(rng, 1, 80)
        expected = reference_lexical(entries, tokens)
        found = index.candidates(KIND, Query(tokens, {}), dense_k=0, lexical_k=15)
        top = reference_top({i: s for i, (s, _) in expected.items()}, 15)
        assert sorted(c.id for c in found) == sorted(top)
        for candidate in found:
            score, shared = expected[candidate.id]
            assert candidate.bm25 == pytest.approx(score, rel=1e-9, abs=1e-9)
            assert candidate.shared_terms == shared
        named = index.score(KIND, Query(tokens, {}), sorted(stored))
        assert [c.id for c in named] == sorted(stored)
        for candidate in named:
            score, shared = expected[candidate.id]
            assert abs(candidate.bm25 - score) <= 1e-5 and candidate.shared_terms == shared


def test_bm25_counts_very_frequent_terms_exactly(index, rng):
    entries = [
        make_entry(rng, 1, tokens=["chip"] * 300 + ["wafer"]),
        make_entry(rng, 2, tokens=["chip", "wafer", "wafer"]),
        make_entry(rng, 3, tokens=["other"]),
    ]
    index.upsert(entries)
    expected = reference_lexical(entries, ["chip", "wafer"])
    scored = {c.id: c for c in index.score(KIND, Query(["chip", "wafer"], {}), [1, 2, 3])}
    for record_id, (score, shared) in expected.items():
        assert scored[record_id].bm25 == pytest.approx(score, rel=1e-12)
        assert scored[record_id].shared_terms == shared
    index.delete(KIND, [1])
    assert index.entry(KIND, 2).tokens == ["chip", "wafer", "wafer"]
    assert dict(index.lexical_stats(KIND).df) == {"chip": 1, "wafer": 1, "other": 1}


def test_lexical_ties_are_broken_by_id(index, rng):
    index.upsert([make_entry(rng, i, tokens=["same", "words"]) for i in (9, 3, 7, 5)])
    found = index.candidates(KIND, Query(["same"], {}), dense_k=0, lexical_k=2)
    assert [c.id for c in found] == [3, 5]


def test_update_cost_is_per_record_not_per_corpus(tmp_path, rng):
    """Adding, replacing or deleting one record touches one posting per distinct term of the
    record (old and new versions), whatever the corpus size; compaction is amortised."""
    for size in (100, 1000):
        index = LocalMatchingIndex(tmp_path / f"size-{size}", snapshot_every=0, connectivity=8, expansion_add=16)
        index.upsert([make_entry(rng, i, dim=4) for i in range(size)])
        store = index._stores[KIND]
        appended, compacted = store.postings_appended, store.postings_compacted
        replacement = make_entry(rng, 5, dim=4, tokens=["p", "q", "q", "r", "t1"])
        index.upsert([replacement])
        assert store.postings_appended - appended == 4  # p, q, r, t1
        assert store.postings_compacted == compacted  # no term had half its postings dead
        index.delete(KIND, [6])
        assert store.postings_appended - appended == 4
        assert store.postings_compacted == compacted
        index.close()


def test_compaction_is_amortised(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(inverted, "SLOT_COMPACT_MIN_DEAD", 32)
    index = LocalMatchingIndex(tmp_path / "churn", snapshot_every=0, connectivity=8, expansion_add=16)
    stored = {i: make_entry(rng, i, dim=4) for i in range(200)}
    index.upsert(list(stored.values()))
    store = index._stores[KIND]
    start_appended = store.postings_appended
    for _ in range(700):
        i = int(rng.integers(0, 200))
        stored[i] = make_entry(rng, i, dim=4)
        index.upsert([stored[i]])
        store = index._stores[KIND]
    # A term is compacted when over half its postings are dead (it copies at most twice as many
    # as died), the slots when over half are dead (at most the postings added since the last
    # time, plus the dead ones): at most 4 postings copied per posting ever added.
    assert store.slots_compacted > 0
    assert 0 < store.postings_compacted <= 4 * store.postings_appended
    assert len(store.alive) <= 2 * len(stored) + 32
    expected = reference_lexical(list(stored.values()), VOCABULARY[:40])
    for candidate in index.score(KIND, Query(VOCABULARY[:40], {}), sorted(stored)):
        assert abs(candidate.bm25 - expected[candidate.id][0]) <= 1e-9
    assert store.postings_appended > start_appended
    index.close()


# -- dense retrieval and filters ---------------------------------------------------------------


def exact_top(vectors: dict[int, np.ndarray], query: np.ndarray, k: int, allowed=None) -> list[int]:
    ids = [i for i in vectors if allowed is None or i in allowed]
    scores = np.array([float(vectors[i] @ query) for i in ids])
    return [ids[j] for j in np.argsort(-scores, kind="stable")[:k]]


def test_dense_recall_of_the_graph_against_exact_search(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(local, "EXACT_SEARCH_BELOW", 0)  # the graph answers, not the exact scan
    index = LocalMatchingIndex(tmp_path / "recall", snapshot_every=0)
    vectors = {i: unit(rng, 16) for i in range(local.EXACT_BELOW + 500)}
    index.upsert([IndexEntry(KIND, i, ["x"], {"m": v}) for i, v in vectors.items()])
    hits = 0
    queries = [unit(rng, 16) for _ in range(40)]
    for query in queries:
        found = index.candidates(KIND, Query([], {"m": query}), dense_k=20, lexical_k=0)
        assert len(found) == 20
        hits += len({c.id for c in found} & set(exact_top(vectors, query, 20)))
        for candidate in found:
            assert candidate.dense["m"] == pytest.approx(float(vectors[candidate.id] @ query), abs=1e-6)
            assert candidate.bm25 == 0.0 and candidate.shared_terms == []
    assert hits / (20 * len(queries)) >= 0.98
    index.close()


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "exact"])
def test_audience_and_exclude_filters_still_return_dense_k(index, rng, monkeypatch, graph):
    """Through the graph (oversampled until enough eligible records come back) and through the
    exact scan (small indexes, or a filter that leaves few records), the same answers."""
    if graph:
        monkeypatch.setattr(local, "EXACT_SEARCH_BELOW", 0)
        monkeypatch.setattr(local, "EXACT_BELOW", 0)
    entries = [make_entry(rng, i, audience="brokers" if i % 20 == 0 else "public") for i in range(400)]
    index.upsert(entries)
    vectors = {e.id: e.vectors["m"] for e in entries}
    brokers = {e.id for e in entries if e.audience == "brokers"}
    query = unit(rng, 8)
    found = index.candidates(KIND, Query([], {"m": query}), dense_k=12, lexical_k=0, audiences=["brokers"])
    assert {c.id for c in found} == set(exact_top(vectors, query, 12, brokers))
    # Excluding the 50 nearest records still gives 12, the next ones.
    nearest = exact_top(vectors, query, 50)
    found = index.candidates(KIND, Query([], {"m": query}), dense_k=12, lexical_k=0, exclude=nearest)
    assert len(found) == 12 and not {c.id for c in found} & set(nearest)
    assert {c.id for c in found} == set(exact_top(vectors, query, 62)[50:])
    # Fewer eligible records than dense_k: all of them.
    few = sorted(brokers)[:3]
    found = index.candidates(
        KIND, Query([], {"m": query}), dense_k=12, lexical_k=0, audiences=["brokers"], exclude=sorted(brokers)[3:]
    )
    assert sorted(c.id for c in found) == few
    # Lexical candidates obey the same filters.
    tokens = entries[0].tokens
    lexical = index.candidates(KIND, Query(tokens, {}), dense_k=0, lexical_k=500, audiences=["public"])
    assert lexical and all(c.id not in brokers for c in lexical)
    lexical = index.candidates(KIND, Query(tokens, {}), dense_k=0, lexical_k=500, exclude=[0])
    assert 0 not in {c.id for c in lexical}
    assert index.candidates(KIND, Query(tokens, {"m": query}), dense_k=5, lexical_k=5, audiences=[]) == []
    assert index.candidates(KIND, Query(tokens, {}), dense_k=5, lexical_k=5, audiences=["nobody"]) == []


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "exact"])
def test_several_models_and_records_lacking_one(index, rng, monkeypatch, graph):
    if graph:
        monkeypatch.setattr(local, "EXACT_SEARCH_BELOW", 0)
        monkeypatch.setattr(local, "EXACT_BELOW", 0)
    entries = [make_entry(rng, i, models=("e5", "minilm") if i % 2 else ("e5",)) for i in range(40)]
    index.upsert(entries)
    by_id = {e.id: e for e in entries}
    query = Query(entries[3].tokens, {"e5": unit(rng, 8), "minilm": unit(rng, 8)})
    found = index.candidates(KIND, query, dense_k=5, lexical_k=5)
    minilm = {i: e.vectors["minilm"] for i, e in by_id.items() if "minilm" in e.vectors}
    e5 = {i: e.vectors["e5"] for i, e in by_id.items()}
    ids = {c.id for c in found}
    needed = 5  # a small graph is built on one thread (local.SERIAL_ADD_BELOW), so it is exact here
    assert len(set(exact_top(e5, query.vectors["e5"], 5)) & ids) >= needed
    assert len(set(exact_top(minilm, query.vectors["minilm"], 5)) & ids) >= needed
    for candidate in found:
        entry = by_id[candidate.id]
        assert set(candidate.dense) == set(entry.vectors)
        for model, value in candidate.dense.items():
            assert value == pytest.approx(float(entry.vectors[model] @ query.vectors[model]), abs=1e-6)
        assert (candidate.language, candidate.owner, candidate.attrs) == (entry.language, entry.owner, entry.attrs)
    # A model the query does not carry is not used; one no record has finds nothing.
    only = index.candidates(KIND, Query([], {"minilm": query.vectors["minilm"]}), dense_k=5, lexical_k=0)
    assert len({c.id for c in only} & set(exact_top(minilm, query.vectors["minilm"], 5))) >= needed
    assert all(set(c.dense) == {"minilm"} for c in only)
    assert index.candidates(KIND, Query([], {"unknown": unit(rng, 8)}), dense_k=5, lexical_k=0) == []
    # A record re-embedded without a model loses that vector.
    index.upsert([make_entry(rng, 1, models=("e5",))])
    assert set(index.entry(KIND, 1).vectors) == {"e5"}
    assert set(index.score(KIND, query, [1])[0].dense) == {"e5"}


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "exact"])
def test_candidates_union_dense_and_lexical_and_score_agrees(index, rng, monkeypatch, graph):
    if graph:
        monkeypatch.setattr(local, "EXACT_SEARCH_BELOW", 0)
        monkeypatch.setattr(local, "EXACT_BELOW", 0)
    entries = [make_entry(rng, i) for i in range(200)]
    index.upsert(entries)
    query = Query(entries[10].tokens, {"m": unit(rng, 8)})
    found = index.candidates(KIND, query, dense_k=7, lexical_k=9)
    vectors = {e.id: e.vectors["m"] for e in entries}
    expected_lexical = reference_lexical(entries, query.tokens)
    lexical_top = reference_top({i: s for i, (s, _) in expected_lexical.items()}, 9)
    assert {c.id for c in found} == set(exact_top(vectors, query.vectors["m"], 7)) | set(lexical_top)
    assert [c.id for c in found] == sorted(c.id for c in found)
    again = index.score(KIND, query, [c.id for c in reversed(found)] + [10_000])
    assert sorted(again, key=lambda c: c.id) == found


# -- persistence and several processes ---------------------------------------------------------


def test_a_new_instance_reads_the_snapshot_and_the_journal_tail(tmp_path, rng):
    directory = tmp_path / "persist"
    writer = LocalMatchingIndex(directory, snapshot_every=0)
    stored = {i: make_entry(rng, i, models=("a", "b")) for i in range(120)}
    writer.upsert(list(stored.values()))
    writer.delete(KIND, [3, 4])
    assert writer.snapshot() is True
    assert writer.snapshot() is False  # nothing new
    tail = [make_entry(rng, i, models=("a",)) for i in (5, 200, 201)]
    writer.upsert(tail)
    writer.delete(KIND, [7])
    for entry in tail:
        stored[entry.id] = entry
    for i in (3, 4, 7):
        del stored[i]
    query = Query(stored[10].tokens, {"a": unit(rng, 8), "b": unit(rng, 8)})
    expected = writer.candidates(KIND, query, dense_k=10, lexical_k=10, exclude=[10])
    writer.close()

    reader = LocalMatchingIndex(directory)
    assert reader.ids(KIND) == set(stored)
    assert_stats_equal(reader.lexical_stats(KIND), reference_stats(list(stored.values())))
    assert reader.candidates(KIND, query, dense_k=10, lexical_k=10, exclude=[10]) == expected
    for record_id in (5, 200, 11):
        got, want = reader.entry(KIND, record_id), stored[record_id]
        assert (got.tokens, got.attrs, got.owner, got.audience) == (want.tokens, want.attrs, want.owner, want.audience)
        assert set(got.vectors) == set(want.vectors)
        for model in want.vectors:
            np.testing.assert_array_equal(got.vectors[model], want.vectors[model])
    reader.close()


def test_snapshots_replace_the_journal_and_old_files_go(tmp_path, rng):
    directory = tmp_path / "compact"
    index = LocalMatchingIndex(directory, snapshot_every=0, connectivity=8, expansion_add=16)
    for round_number in range(4):
        index.upsert([make_entry(rng, i + 100 * round_number) for i in range(30)])
        assert index.snapshot() is True
    snapshots = sorted(p.name for p in (directory / "snapshots").iterdir())
    assert len(snapshots) == 2  # the current one and the previous
    segments = sorted(os.listdir(directory / "journal"))
    assert len(segments) <= 3
    current = index._current.read()
    assert current["snapshot"] == snapshots[-1]
    # What is left of the journal starts at or before the previous snapshot.
    assert int(segments[0][:-4]) <= int(snapshots[0].split("-")[0])
    index.close()
    reopened = LocalMatchingIndex(directory)
    assert reopened.count(KIND) == 120
    reopened.close()


def test_writers_snapshot_on_their_own_after_snapshot_every_records(tmp_path, rng):
    directory = tmp_path / "auto"
    index = LocalMatchingIndex(directory, snapshot_every=25, connectivity=8, expansion_add=16)
    index.upsert([make_entry(rng, i) for i in range(10)])
    assert index._current.read()["snapshot"] is None
    assert index.pending_records() == 10
    index.upsert([make_entry(rng, i) for i in range(10, 20)])
    index.delete(KIND, [1, 2, 3, 4, 5])
    assert index._current.read()["snapshot"] is not None
    assert index.pending_records() == 0
    index.upsert([make_entry(rng, 50)])
    assert index.pending_records() == 1
    index.close()


def test_two_instances_on_one_directory_see_each_others_writes(tmp_path, rng):
    directory = tmp_path / "shared"
    web = LocalMatchingIndex(directory, snapshot_every=0)
    worker = LocalMatchingIndex(directory, snapshot_every=0)
    entry = make_entry(rng, 1, tokens=["graphene", "battery"])
    worker.upsert([entry, make_entry(rng, 2)])
    assert web.ids(KIND) == {1, 2}
    found = web.candidates(KIND, Query(["graphene"], {"m": entry.vectors["m"]}), dense_k=1, lexical_k=1)
    assert [c.id for c in found] == [1]
    assert found[0].dense["m"] == pytest.approx(1.0, abs=1e-6)
    web.upsert([make_entry(rng, 3)])
    worker.delete(KIND, [1])
    assert worker.ids(KIND) == {2, 3}
    assert web.ids(KIND) == {2, 3}
    assert dict(web.lexical_stats(KIND).df) == dict(worker.lexical_stats(KIND).df)
    # The worker snapshots; the web process keeps following the (rotated) journal.
    assert worker.snapshot() is True
    worker.upsert([make_entry(rng, 4)])
    assert web.ids(KIND) == {2, 3, 4}
    for _ in range(3):  # more snapshots than the files the web process was reading survive
        worker.upsert([make_entry(rng, int(rng.integers(5, 50)))])
        worker.snapshot()
    assert web.ids(KIND) == worker.ids(KIND)
    assert_stats_equal(web.lexical_stats(KIND), worker.lexical_stats(KIND))
    web.close()
    worker.close()


def test_a_reader_far_behind_reloads_the_snapshot(tmp_path, rng):
    directory = tmp_path / "behind"
    writer = LocalMatchingIndex(directory, snapshot_every=0, connectivity=8, expansion_add=16)
    writer.upsert([make_entry(rng, 1)])
    writer.snapshot()
    reader = LocalMatchingIndex(directory)
    assert reader.ids(KIND) == {1}
    reader._journal.close()  # as if its segment had never been opened: it has to find the files
    for i in range(2, 6):
        writer.upsert([make_entry(rng, i)])
        writer.snapshot()
    assert reader.ids(KIND) == {1, 2, 3, 4, 5}
    writer.close()
    reader.close()


def test_a_partial_last_line_is_ignored_then_cut_off(tmp_path, rng):
    directory = tmp_path / "crash"
    writer = LocalMatchingIndex(directory, snapshot_every=0)
    writer.upsert([make_entry(rng, 1), make_entry(rng, 2)])
    segment = sorted((directory / "journal").iterdir())[-1]
    size = segment.stat().st_size
    line = segment.read_bytes().splitlines()[-1]
    with open(segment, "ab") as handle:  # a writer died halfway through a line
        handle.write(line[: len(line) // 2])
    reader = LocalMatchingIndex(directory)
    assert reader.ids(KIND) == {1, 2}
    writer.upsert([make_entry(rng, 3)])
    assert reader.ids(KIND) == {1, 2, 3}
    data = segment.read_bytes()
    assert data.startswith(segment.read_bytes()[:size]) and data.count(b"\n") == 2
    assert all(decode_line(x) is not None for x in data.splitlines())
    assert LocalMatchingIndex(directory).ids(KIND) == {1, 2, 3}
    reader.close()
    writer.close()


def test_a_damaged_line_is_skipped(tmp_path, rng):
    directory = tmp_path / "damaged"
    writer = LocalMatchingIndex(directory, snapshot_every=0)
    writer.upsert([make_entry(rng, 1)])
    writer.upsert([make_entry(rng, 2)])
    writer.upsert([make_entry(rng, 3)])
    segment = sorted((directory / "journal").iterdir())[-1]
    lines = segment.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"id":2', b'"id":9')  # the checksum no longer matches
    segment.write_bytes(b"\n".join(lines))
    assert LocalMatchingIndex(directory).ids(KIND) == {1, 3}
    writer.close()


def _write_from_another_process(directory, start, count):
    rng = np.random.default_rng(start)
    index = LocalMatchingIndex(directory, snapshot_every=7, connectivity=8, expansion_add=16)
    for i in range(start, start + count):
        index.upsert([make_entry(rng, i)])
    index.close()


def test_several_processes_write_one_index(tmp_path, rng):
    directory = tmp_path / "processes"
    LocalMatchingIndex(directory).close()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_from_another_process, args=(directory, s, 30)) for s in (0, 1000, 2000)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    index = LocalMatchingIndex(directory)
    expected = {*range(30), *range(1000, 1030), *range(2000, 2030)}
    assert index.ids(KIND) == expected
    assert index.lexical_stats(KIND).documents == 90
    index.close()


def test_threads_read_while_another_writes(index, rng):
    index.upsert([make_entry(rng, i) for i in range(50)])
    errors = []
    query = Query(VOCABULARY[:10], {"m": unit(rng, 8)})

    def read():
        try:
            for _ in range(100):
                found = index.candidates(KIND, query, dense_k=5, lexical_k=5)
                assert len(found) >= 5
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    writer_rng = np.random.default_rng(5)
    for i in range(100):
        index.upsert([make_entry(writer_rng, 50 + i % 30)])
        index.delete(KIND, [int(writer_rng.integers(0, 50))])
    for thread in readers:
        thread.join()
    assert errors == []


def test_from_settings_opens_the_configured_directory(settings, tmp_path, rng):
    settings.MATCHING_INDEX_DIR = tmp_path / "configured"
    settings.MATCHING_INDEX_SNAPSHOT_EVERY = 3
    index = LocalMatchingIndex.from_settings()
    index.upsert([make_entry(rng, i) for i in range(4)])
    assert index.directory == tmp_path / "configured"
    assert (tmp_path / "configured" / "CURRENT").exists()
    index.close()
    with pytest.raises(RuntimeError, match="closed"):
        index.count(KIND)


def test_reads_go_on_while_a_snapshot_is_written_to_disk(tmp_path, rng, monkeypatch):
    index = LocalMatchingIndex(tmp_path / "busy", snapshot_every=0, connectivity=8, expansion_add=16)
    index.upsert([make_entry(rng, i) for i in range(50)])
    query = Query(["t1", "t2"], {"m": unit(rng, 8)})
    answered = []
    write = local._write_snapshot

    def slow_write(directory, state):
        # another thread of this process reads while the files are being written
        reader = threading.Thread(target=lambda: answered.append(index.candidates(KIND, query, dense_k=5, lexical_k=5)))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "a read waited for the snapshot's disk writes"
        write(directory, state)

    monkeypatch.setattr(local, "_write_snapshot", slow_write)
    index.upsert([make_entry(rng, 50)])
    assert index.snapshot() is True
    assert len(answered) == 1 and answered[0]
    reopened = LocalMatchingIndex(tmp_path / "busy")
    assert reopened.ids(KIND) == set(range(51))
    reopened.close()
    index.close()


def test_a_snapshot_holds_the_state_of_its_start_whatever_is_written_meanwhile(tmp_path, rng, monkeypatch):
    index = LocalMatchingIndex(tmp_path / "moving", snapshot_every=0, connectivity=8, expansion_add=16)
    index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(300)])
    write = local._write_snapshot
    checked = []

    def write_after_changes(directory, state):
        before = [(v[3].copy(), v[4].copy()) for v in state["vectors"]]
        attrs = [list(meta["attrs"]) for _, _, meta in state["kinds"]]
        writer = threading.Thread(
            target=lambda: (
                index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(0, 300, 2)]),  # replaced
                index.delete(KIND, range(1, 300, 2)),
                index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(300, 900)]),
            )
        )
        writer.start()
        writer.join()
        for (data, has), (_, _, _, now_data, now_has) in zip(before, state["vectors"], strict=True):
            np.testing.assert_array_equal(data, now_data)
            np.testing.assert_array_equal(has, now_has)
        assert attrs == [list(meta["attrs"]) for _, _, meta in state["kinds"]]
        checked.append(True)
        write(directory, state)

    monkeypatch.setattr(local, "_write_snapshot", write_after_changes)
    assert index.snapshot() is True and checked
    reopened = LocalMatchingIndex(tmp_path / "moving")
    assert reopened.ids(KIND) == set(range(0, 300, 2)) | set(range(300, 900))
    for record_id in (0, 298, 899):
        np.testing.assert_array_equal(
            reopened.entry(KIND, record_id).vectors["a"], index.entry(KIND, record_id).vectors["a"]
        )
    reopened.close()
    index.close()


def _entries_of(index):
    return {i: index.entry(KIND, i) for i in sorted(index.ids(KIND))}


def _assert_same_entries(a, b):
    assert a.keys() == b.keys()
    for i, want in a.items():
        got = b[i]
        assert (got.tokens, got.attrs, got.audience) == (want.tokens, want.attrs, want.audience)
        assert got.vectors.keys() == want.vectors.keys()
        for model in want.vectors:
            np.testing.assert_array_equal(got.vectors[model], want.vectors[model])


def test_the_snapshot_file_alone_holds_its_start_even_through_a_compaction(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(inverted, "SLOT_COMPACT_MIN_DEAD", 8)
    index = LocalMatchingIndex(tmp_path / "alone", snapshot_every=0, connectivity=8, expansion_add=16)
    index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(300)])
    index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(0, 300, 3)])  # dead slots
    start = _entries_of(index)
    compactions = []
    compact = inverted.KindStore.compact
    monkeypatch.setattr(inverted.KindStore, "compact", lambda self: (compactions.append(1), compact(self)))
    write = local._write_snapshot

    def write_after_changes(directory, state):
        writer = threading.Thread(
            target=lambda: (
                index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(0, 300, 2)]),
                index.delete(KIND, range(1, 300, 2)),
                index.upsert([make_entry(rng, i, models=("a", "b")) for i in range(300, 900)]),
            )
        )
        writer.start()
        writer.join()
        write(directory, state)

    monkeypatch.setattr(local, "_write_snapshot", write_after_changes)
    assert index.snapshot() is True
    assert compactions, "the writes during the snapshot were meant to compact the store"
    alone = LocalMatchingIndex.__new__(LocalMatchingIndex)  # the snapshot without the journal after it
    alone._lock, alone.expansion_add, alone.expansion_search, alone._closed = threading.RLock(), 16, 64, False
    alone._reset()
    alone._load_snapshot(tmp_path / "alone" / "snapshots" / index._current.read()["snapshot"])
    alone._catch_up = lambda: None
    _assert_same_entries(start, _entries_of(alone))
    index.close()


def test_a_reloaded_store_keeps_the_writers_bookkeeping_with_dead_slots(tmp_path, rng):
    index = LocalMatchingIndex(tmp_path / "books", snapshot_every=0, connectivity=8, expansion_add=16)
    index.upsert([make_entry(rng, i, audience="public" if i % 2 else "brokers") for i in range(200)])
    index.upsert([make_entry(rng, i, audience="public") for i in range(0, 200, 4)])
    index.delete(KIND, range(1, 200, 5))
    assert index.snapshot() is True
    writer, reader = index._stores[KIND], LocalMatchingIndex(tmp_path / "books")._stores[KIND]
    assert (reader.documents, reader.total_length) == (writer.documents, writer.total_length)
    assert reader.audience_count == writer.audience_count and reader.slot_of == writer.slot_of
    np.testing.assert_array_equal(reader.df.view(), writer.df.view())
    np.testing.assert_array_equal(reader.dead_postings.view(), writer.dead_postings.view())
    assert reader.tf_overflow == writer.tf_overflow
    terms = {"t1": 1, "t2": 1, "t5": 1}
    live = writer.alive.view()
    np.testing.assert_allclose(
        writer.bm25_all(terms, writer.stats())[0][live], reader.bm25_all(terms, reader.stats())[0][live]
    )


def test_a_replaced_record_with_a_very_frequent_term_leaves_search_working(tmp_path):
    def entry(i, tokens):
        return IndexEntry(KIND, i, tokens, {"m": np.ones(4, np.float32) / 2})

    index = LocalMatchingIndex(tmp_path / "overflow", snapshot_every=0)
    index.upsert([entry(1, ["x"] * 300 + ["y"]), entry(2, ["x", "y"]), entry(3, ["z"] * 300)])
    index.upsert([entry(1, ["x", "y"])])  # the long version's slot dies; its saturated posting stays
    for reader in (index, None):
        if reader is None:
            index.snapshot()
            reader = LocalMatchingIndex(tmp_path / "overflow")
        found = reader.candidates(KIND, Query(["x"], {}), dense_k=0, lexical_k=5)
        assert {c.id for c in found} == {1, 2}


def test_a_snapshot_of_another_format_is_refused_not_misread(tmp_path, rng):
    import json as json_module

    index = LocalMatchingIndex(tmp_path / "format", snapshot_every=0)
    index.upsert([make_entry(rng, 1)])
    index.snapshot()
    manifest = tmp_path / "format" / "snapshots" / index._current.read()["snapshot"] / "manifest.json"
    data = json_module.loads(manifest.read_text())
    assert data["format"] == local.SNAPSHOT_FORMAT == 2
    data["format"] = 3
    manifest.write_text(json_module.dumps(data))
    with pytest.raises(RuntimeError, match="format"):
        LocalMatchingIndex(tmp_path / "format")


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "exact"])
def test_other_language_candidates_reach_past_same_language_neighbours(tmp_path, rng, monkeypatch, graph):
    """An English query over a mostly Chinese corpus whose English records all lie far away: the
    dense top 10 holds none of them, the other-language top 5 brings the 5 nearest of them, as the
    exact backend does; with enough of them in the top 10 already, nothing more is searched."""
    from matchmaking.index.exact import ExactMatchingIndex

    if graph:
        monkeypatch.setattr(local, "EXACT_SEARCH_BELOW", 0)
        monkeypatch.setattr(local, "EXACT_BELOW", 0)
    query = unit(rng, 8)
    entries = []
    for i in range(300):
        vector = unit(rng, 8)
        if i % 10:  # the Chinese records lie near the query, the English ones (every tenth) anywhere
            vector = (vector + 3 * query) / np.linalg.norm(vector + 3 * query)
        entries.append(IndexEntry(KIND, i, ["x"], {"m": vector}, language="en" if i % 10 == 0 else "zh-hans"))
    zh_query = Query([], {"m": query}, language="zh-hans")
    english = {e.id for e in entries if e.language == "en"}
    index = LocalMatchingIndex(tmp_path / "other", snapshot_every=0)
    index.upsert(entries)
    exact = ExactMatchingIndex()
    exact.upsert(entries)
    for language, wanted in (("zh-hans", english), ("en", {e.id for e in entries if e.language == "zh-hans"})):
        q = Query([], {"m": query}, language=language)
        plain = {c.id for c in index.candidates(KIND, q, dense_k=10, lexical_k=0)}
        found = {
            c.id
            for c in index.candidates(KIND, q, dense_k=10, lexical_k=0, other_language_k=5, other_language_models=["m"])
        }
        reference = {
            c.id
            for c in exact.candidates(KIND, q, dense_k=10, lexical_k=0, other_language_k=5, other_language_models=["m"])
        }
        others = {e.id: float(e.vectors["m"] @ query) for e in entries if e.id in wanted}
        nearest_others = set(sorted(others, key=lambda i: (-others[i], i))[:5])
        assert found == reference == plain | nearest_others
    assert not {c.id for c in index.candidates(KIND, zh_query, dense_k=10, lexical_k=0)} & english
    # an English query: its top 10 is all Chinese, the other language, so no second search runs
    searches = []
    dense_top = index._dense_top
    monkeypatch.setattr(index, "_dense_top", lambda *a, **kw: searches.append(a[3]) or dense_top(*a, **kw))
    en_query = Query([], {"m": query}, language="en")
    index.candidates(KIND, en_query, dense_k=10, lexical_k=0, other_language_k=5, other_language_models=["m"])
    assert searches == [10]
    searches.clear()
    index.candidates(KIND, zh_query, dense_k=10, lexical_k=0, other_language_k=5, other_language_models=["m"])
    assert searches == [10, 5]
    monkeypatch.setattr(index, "_dense_top", dense_top)
    # a model not named for it looks for no other language; a deleted record is not found
    same = index.candidates(KIND, zh_query, dense_k=10, lexical_k=0, other_language_k=5, other_language_models=["x"])
    assert not {c.id for c in same} & english
    index.delete(KIND, sorted(english)[:25])
    kept = english - set(sorted(english)[:25])
    after = index.candidates(KIND, zh_query, dense_k=10, lexical_k=0, other_language_k=50, other_language_models=["m"])
    assert {c.id for c in after} & english == kept  # fewer left than asked for: all of them
    assert index.snapshot()
    index.upsert([IndexEntry(KIND, 1000, ["x"], {"m": unit(rng, 8)}, language="en")])  # after it: the journal
    index.close()
    # the language codes survive a snapshot, the journal after it and a restart
    reopened = LocalMatchingIndex(tmp_path / "other", snapshot_every=0)
    options = {"dense_k": 10, "lexical_k": 0, "other_language_k": 50, "other_language_models": ["m"]}
    again = reopened.candidates(KIND, zh_query, **options)
    assert {c.id for c in again} & (english | {1000}) == kept | {1000}
    reopened._stores[KIND].compact()  # the dead slots go, the codes move with the live ones
    compacted = reopened._stores[KIND]
    assert len(compacted.language_code) == len(compacted.alive) == 300 - 25 + 1
    assert [compacted.languages[c] for c in compacted.language_code.view()] == compacted.language
    reopened.close()
