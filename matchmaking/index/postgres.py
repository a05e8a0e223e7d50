"""The production index backend: PostgreSQL with pgvector (>= 0.8).

The backend owns its tables (the main Django database may be SQLite, or a PostgreSQL without
pgvector, so no Django migration creates them); `ensure_schema()` creates them idempotently and
runs once per process before the first use:

- `matching_index_entry`: one row per record (kind, object_id) with what re-ranking needs: its
  language, owner, audience, attrs (jsonb), its tokens (text[], as given), their counts (`tf`,
  jsonb term -> count) and its length; indexed by (kind, language) too, for the records in other
  languages than a query's, which `candidates` scans exactly (an HNSW walk filtered to them stops
  at hnsw.max_scan_tuples behind the query language's neighbours and finds none);
- `matching_index_posting`: the inverted index, one row per (kind, term, record) with the term's
  count, the record's length and audience, keyed by (kind, term, object_id) so a query reads only
  the postings of its terms (an index-only scan);
- `matching_index_vector`: one row per (kind, object_id, model) with the unit vector (an
  unsized `vector`, so models of different dimensions share the table) and a copy of the
  record's audience, so the nearest-neighbour scan filters in one table;
- `matching_index_model`: the dimension of each (kind, model) and its HNSW index, a partial
  expression index `(embedding::vector(DIM)) vector_cosine_ops WHERE kind = .. AND model = ..`
  created in the transaction that first stores vectors of that model for that kind (after they
  are copied in: building the graph at once is several times faster than inserting into it);
- `matching_index_stats` and `matching_index_df`: exact corpus statistics (documents, total
  length, document frequency per term), changed in the transaction of each upsert and delete.

Why postings and not a tsvector with a GIN index: the GIN index finds the records that share a
query term quickly, but ordering them by BM25 then needs each record's term counts (a jsonb
lookup per record and term), which measured 30 times slower than summing BM25 over the postings
of the query terms (5,000 records, 30-token query: 630 ms against 20 ms on this machine). The
postings also need no tsquery syntax, so a token is never parsed as an operator.

The HNSW graphs use m = 32 and ef_construction = 128, searched with ef_search = 400: on random
384-dim unit vectors (the benchmark's worst case) at 20,000 records pgvector's defaults (16, 64)
gave recall@20 0.79 against exact search, these 1.0, for a 1.5 times slower build.

Writers of one kind are serialised by a transaction-level advisory lock, so the statistics stay
exact under concurrent workers and writes cannot deadlock; readers never wait for it. (A bulk
load that rebuilds a model's HNSW index does block reads until it commits: `_indexes_to_rebuild`.)

`candidates()` takes the dense top-k of every model in the query from its HNSW index
(`hnsw.ef_search`, and `hnsw.iterative_scan = relaxed_order` so the audience and exclusion
filters in SQL still leave k rows), unions the lexical top-k (BM25 summed in SQL over the
postings of the query's rarest terms, see `lexical_search_terms`: at most 50 postings per
wanted candidate, so the cost stays bounded as the corpus grows), then reads the union's stored
term counts and lengths and scores them on every query term with the reference `bm25_scores`
(so both backends agree exactly), and with the cosine of every query model.

Every value is a bound parameter; the few identifiers and literals that must be in the SQL text
(index names, dimensions, the kind and model of a partial index's predicate) are composed with
`psycopg.sql`, which quotes them."""

import contextlib
import hashlib
import os
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

from .base import (
    COMMON_TERM_SHARE,
    K1,
    B,
    Candidate,
    IndexEntry,
    LexicalStats,
    MatchingIndex,
    Query,
    bm25_scores,
    query_terms,
)

# A batch with at least this many vectors of a model, and at least as many as are stored, rebuilds
# that model's HNSW index after the copy instead of inserting into it.
BULK_REBUILD_MIN = 1000
HEAL_EVERY_S = 60.0


def _bulk_key(kind: str) -> str:
    return "matching_index_bulk:" + kind


MIN_PGVECTOR = (0, 8)
TABLES = (
    "matching_index_entry",
    "matching_index_posting",
    "matching_index_vector",
    "matching_index_model",
    "matching_index_stats",
    "matching_index_df",
)
# Relations besides TABLES whose absence means an older schema to upgrade
UPGRADES = ("matching_index_entry_language",)
SCHEMA_LOCK = 0x6D61_7463_6869_6E67  # "matching": serialises ensure_schema across processes

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS matching_index_entry (
    kind text NOT NULL,
    object_id bigint NOT NULL,
    language text NOT NULL,
    owner bigint,
    audience text NOT NULL,
    attrs jsonb NOT NULL,
    tokens text[] NOT NULL,
    tf jsonb NOT NULL,
    length integer NOT NULL,
    PRIMARY KEY (kind, object_id)
);
CREATE TABLE IF NOT EXISTS matching_index_posting (
    kind text NOT NULL,
    term text NOT NULL,
    object_id bigint NOT NULL,
    tf integer NOT NULL,
    length integer NOT NULL,
    audience text NOT NULL,
    PRIMARY KEY (kind, term, object_id) INCLUDE (tf, length, audience)
);
CREATE TABLE IF NOT EXISTS matching_index_vector (
    kind text NOT NULL,
    object_id bigint NOT NULL,
    model text NOT NULL,
    audience text NOT NULL,
    embedding vector NOT NULL,
    PRIMARY KEY (kind, object_id, model),
    FOREIGN KEY (kind, object_id) REFERENCES matching_index_entry ON DELETE CASCADE
);
-- the records of other languages than a query's (cross-language candidates); on an index written
-- before, the one statement of the upgrade (an index build: reads go on, writes wait for it)
CREATE INDEX IF NOT EXISTS matching_index_entry_language ON matching_index_entry (kind, language);
CREATE TABLE IF NOT EXISTS matching_index_model (
    kind text NOT NULL,
    model text NOT NULL,
    dim integer NOT NULL CHECK (dim > 0),
    index_name text NOT NULL,
    PRIMARY KEY (kind, model)
);
CREATE TABLE IF NOT EXISTS matching_index_stats (
    kind text PRIMARY KEY,
    documents bigint NOT NULL CHECK (documents >= 0),
    total_length bigint NOT NULL CHECK (total_length >= 0)
);
CREATE TABLE IF NOT EXISTS matching_index_df (
    kind text NOT NULL,
    term text NOT NULL,
    df integer NOT NULL CHECK (df > 0),
    PRIMARY KEY (kind, term)
);
"""


class _VectorBinaryDumper(Dumper):
    """numpy array -> pgvector's binary format (dimension, unused, float4 big-endian)."""

    format = Format.BINARY

    def dump(self, obj):
        values = np.asarray(obj, dtype=">f4").ravel()
        return struct.pack(">HH", values.shape[0], 0) + values.tobytes()


class _VectorBinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data):
        dim, _ = struct.unpack_from(">HH", data)
        return np.frombuffer(bytes(data), dtype=">f4", count=dim, offset=4).astype(np.float32)


class _VectorTextLoader(Loader):
    format = Format.TEXT

    def load(self, data):
        return np.array(bytes(data).decode()[1:-1].split(","), dtype=np.float32)


def lexical_search_terms(terms: dict[str, int], stats: LexicalStats, budget: int) -> list[str]:
    """The query terms that choose lexical candidates: the rarest first (`terms` comes from
    `query_terms`, rarest first), none in more than COMMON_TERM_SHARE of the corpus, and no more
    than `budget` postings in all; always at least the rarest term. The rarest terms weigh most
    in BM25, and the cost of a query is its postings: this bounds it as the corpus grows."""
    limit = COMMON_TERM_SHARE * stats.documents
    chosen, postings = [], 0
    for term in terms:
        df = stats.df[term]
        if chosen and (df > limit or postings + df > budget):
            break
        chosen.append(term)
        postings += df
    return chosen


def _index_name(kind: str, model: str) -> str:
    return "matching_index_hnsw_" + hashlib.sha1(f"{kind}\0{model}".encode()).hexdigest()[:16]


class PostgresMatchingIndex(MatchingIndex):
    def __init__(
        self,
        dsn: str,
        *,
        hnsw_m: int = 32,
        hnsw_ef_construction: int = 128,
        ef_search: int = 400,
        postings_per_candidate: int = 50,
    ):
        self.dsn = dsn
        self.postings_per_candidate = postings_per_candidate
        self.hnsw_m = hnsw_m
        self.hnsw_ef_construction = hnsw_ef_construction
        self.ef_search = ef_search
        self._local = threading.local()
        self._connections: list[tuple[psycopg.Connection, int, threading.Thread]] = []
        self._connections_lock = threading.Lock()
        self._schema_ready = False
        self._dims: dict[tuple[str, str], int] = {}
        self._bulk_kinds: set[str] = set()  # kinds in a bulk load: their graphs are built at its end
        self._healed: dict[str, float] = {}  # when each kind's graphs were last looked at

    @classmethod
    def from_settings(cls) -> "PostgresMatchingIndex":
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        dsn = getattr(settings, "MATCHING_INDEX_URL", "")
        if not dsn:
            raise ImproperlyConfigured(
                "MATCHING_INDEX=postgres needs MATCHING_INDEX_URL (or DATABASE_URL) to name a PostgreSQL with pgvector"
            )
        return cls(dsn)

    # -- connections and schema

    def _connection(self) -> psycopg.Connection:
        """One connection per thread (and per process: a forked worker opens its own). A thread
        that has ended leaves its connection behind: those are closed when a new one opens, so
        a server that starts a thread per request does not pile them up."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or self._local.pid != os.getpid():
            self._close_orphans()
            conn = psycopg.connect(self.dsn, autocommit=True)
            try:
                if not self._schema_ready:
                    self._ensure_schema(conn)
                self._register_vector(conn)
            except BaseException:
                conn.close()
                raise
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._connections_lock:
                self._connections.append((conn, os.getpid(), threading.current_thread()))
        return conn

    def _close_orphans(self) -> None:
        with self._connections_lock:
            orphans = [c for c in self._connections if c[1] == os.getpid() and not c[2].is_alive()]
            self._connections = [c for c in self._connections if c not in orphans]
        for conn, _, _ in orphans:
            if not conn.closed:
                conn.close()

    def _register_vector(self, conn: psycopg.Connection) -> None:
        from django.core.exceptions import ImproperlyConfigured

        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        version = tuple(int(p) for p in row[0].split(".")[:2] if p.isdigit()) if row else ()
        if version < MIN_PGVECTOR:
            # filtered HNSW queries need iterative scans (0.8): without them they return fewer than k
            raise ImproperlyConfigured(
                f"MATCHING_INDEX=postgres needs pgvector >= {'.'.join(map(str, MIN_PGVECTOR))} in the database of "
                f"MATCHING_INDEX_URL; found {row[0] if row else 'none'}"
            )
        info = TypeInfo.fetch(conn, "vector")
        if info is None:
            raise RuntimeError("the vector extension is missing (ensure_schema() creates it)")
        info.register(conn)
        dumper = type("VectorDumper", (_VectorBinaryDumper,), {"oid": info.oid})
        conn.adapters.register_dumper(np.ndarray, dumper)
        conn.adapters.register_loader(info.oid, _VectorBinaryLoader)
        conn.adapters.register_loader(info.oid, _VectorTextLoader)

    def ensure_schema(self) -> None:
        """Create the extension, tables and indexes if they are missing (idempotent)."""
        self._ensure_schema(self._connection())

    def _ensure_schema(self, conn: psycopg.Connection) -> None:
        # a read replica refuses every CREATE, even IF NOT EXISTS: when all is there, only read
        present = conn.execute(
            "SELECT count(*) FROM pg_extension WHERE extname = 'vector'"
            " UNION ALL SELECT count(to_regclass(t)) FROM unnest(%s::text[]) AS t",
            (list(TABLES + UPGRADES),),
        ).fetchall()
        if [r[0] for r in present] != [1, len(TABLES + UPGRADES)]:
            from django.core.exceptions import ImproperlyConfigured

            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                    conn.execute(SCHEMA)
            except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as exc:
                raise ImproperlyConfigured(
                    f"MATCHING_INDEX=postgres needs the pgvector extension in the database of MATCHING_INDEX_URL: {exc}"
                ) from exc
            except psycopg.errors.ReadOnlySqlTransaction as exc:
                raise ImproperlyConfigured(
                    "The matching index on this read-only server lacks tables or indexes of this version: start a "
                    "web or worker process on the primary first (it creates them), then the replicas follow."
                ) from exc
        self._schema_ready = True

    def close(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn, pid, _ in connections:
            # a connection inherited through fork belongs to the parent: closing it here would end
            # the parent's session too
            if pid == os.getpid() and not conn.closed:
                conn.close()
        self._local = threading.local()

    # -- writes

    def _lock_kind(self, conn: psycopg.Connection, kind: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("matching_index:" + kind,))

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        by_kind: dict[str, dict[int, IndexEntry]] = {}
        for entry in entries:  # the last entry for a record wins
            by_kind.setdefault(entry.kind, {})[int(entry.id)] = entry
        if not by_kind:
            return
        for kind_entries in by_kind.values():
            for entry in kind_entries.values():
                for model, vector in entry.vectors.items():
                    if np.asarray(vector).ndim != 1 or not len(vector):
                        raise ValueError(f"{entry.kind} {entry.id}: the {model} vector is not a non-empty 1-d array")
        conn = self._connection()
        with conn.transaction():
            for kind in sorted(by_kind):
                self._upsert_kind(conn, kind, by_kind[kind])

    def _upsert_kind(self, conn: psycopg.Connection, kind: str, entries: dict[int, IndexEntry]) -> None:
        self._lock_kind(conn, kind)
        new_models = self._ensure_models(conn, kind, entries.values())
        ids = sorted(entries)
        deferred = self._graphs_deferred(conn, kind)
        rebuild = [] if deferred else self._indexes_to_rebuild(conn, kind, entries.values(), new_models)
        old = self._delete_rows(conn, kind, ids)
        delta: Counter = Counter()
        documents, total_length = -len(old), -sum(length for _, length in old)
        for tf, _ in old:
            delta.subtract(tf.keys())
        with conn.cursor() as cur:
            with cur.copy(
                "COPY matching_index_entry (kind, object_id, language, owner, audience, attrs, tokens, tf, length)"
                " FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int8", "text", "int8", "text", "jsonb", "text[]", "jsonb", "int4"])
                for object_id in ids:
                    entry = entries[object_id]
                    tokens = [str(t) for t in entry.tokens]
                    tf = Counter(tokens)
                    row = (kind, object_id, entry.language, entry.owner, entry.audience, entry.attrs or {})
                    copy.write_row((*row, tokens, dict(tf), len(tokens)))
                    delta.update(tf.keys())
                    documents += 1
                    total_length += len(tokens)
            with cur.copy(
                "COPY matching_index_posting (kind, term, object_id, tf, length, audience) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "text", "int8", "int4", "int4", "text"])
                for object_id in ids:
                    entry = entries[object_id]
                    tokens = [str(t) for t in entry.tokens]
                    for term, count in sorted(Counter(tokens).items()):
                        copy.write_row((kind, term, object_id, count, len(tokens), entry.audience))
            with cur.copy(
                "COPY matching_index_vector (kind, object_id, model, audience, embedding) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int8", "text", "text", "vector"])
                for object_id in ids:
                    entry = entries[object_id]
                    for model in sorted(entry.vectors):
                        copy.write_row((kind, object_id, model, entry.audience, np.asarray(entry.vectors[model])))
        if not deferred:
            for model, dim in new_models + rebuild:
                self._create_vector_index(conn, kind, model, dim)
            self._heal_graphs(conn, kind)
        self._apply_stats(conn, kind, documents, total_length, delta)
        if len(ids) >= BULK_REBUILD_MIN and not deferred:
            # fresh planner statistics after a bulk load (autovacuum would be minutes late): with
            # them the planner scans small tables exactly and uses the HNSW index on large ones
            conn.execute("ANALYZE matching_index_entry, matching_index_posting, matching_index_vector")

    @contextlib.contextmanager
    def bulk_load(self, kind: str, count: int):
        """When the records about to be written are at least as many as are stored (a first load,
        an embed_all re-run or re-centring pass that rewrites everything), the kind's HNSW graphs
        are dropped first and built once after the last batch: inserting 100,000 vectors one by
        one into a graph takes about an hour here, building it a few minutes. Dense reads of the
        kind scan exactly meanwhile (slower, still right); a few records are written as usual.
        The load holds a session lock: other processes' writes leave the graphs to it, a second
        load runs as ordinary writes, and if the loader dies (its connection closes) the next
        ordinary write rebuilds what is missing (`_heal_graphs`)."""
        conn = self._connection()
        stored = conn.execute("SELECT count(*) FROM matching_index_entry WHERE kind = %s", (kind,)).fetchone()[0]
        if count < BULK_REBUILD_MIN or count < stored or kind in self._bulk_kinds:
            yield
            return
        if not conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (_bulk_key(kind),)).fetchone()[0]:
            yield  # another process is loading this kind: it builds the graphs at its end
            return
        try:
            with conn.transaction():
                self._lock_kind(conn, kind)
                for model, _dim in self._models_of(conn, kind):
                    conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(_index_name(kind, model))))
            self._bulk_kinds.add(kind)
            try:
                yield
            finally:
                self._bulk_kinds.discard(kind)
                with conn.transaction():
                    self._lock_kind(conn, kind)
                    for model, dim in self._models_of(conn, kind):
                        self._create_vector_index(conn, kind, model, dim)
                conn.execute("ANALYZE matching_index_entry, matching_index_posting, matching_index_vector")
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_bulk_key(kind),))

    def _graphs_deferred(self, conn, kind: str) -> bool:
        """A bulk load of this kind is under way (here, or in another process holding its lock):
        the graphs are its to build."""
        if kind in self._bulk_kinds:
            return True
        free = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (_bulk_key(kind),)).fetchone()[0]
        if free:
            conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_bulk_key(kind),))
        return not free

    def _heal_graphs(self, conn, kind: str) -> None:
        """Build any graph of this kind that is missing (a bulk load that died before its end),
        looked at once a minute per process and kind."""
        now = time.monotonic()
        if now - self._healed.get(kind, -HEAL_EVERY_S) < HEAL_EVERY_S:
            return
        self._healed[kind] = now
        missing = conn.execute(
            "SELECT model, dim FROM matching_index_model"
            " WHERE kind = %s AND to_regclass(quote_ident(index_name)) IS NULL ORDER BY model",
            (kind,),
        ).fetchall()
        for model, dim in missing:
            self._create_vector_index(conn, kind, model, dim)

    def _indexes_to_rebuild(self, conn, kind: str, entries, new_models) -> list[tuple[str, int]]:
        """Models whose HNSW graph this batch at least doubles: building the graph anew after the
        copy is several times faster than inserting each vector into it, so their index is dropped
        here and created after the copy. The drop locks the table until the commit (reads of this
        backend wait), so this happens only for bulk loads, never for a few records."""
        batch = Counter(model for entry in entries for model in entry.vectors)
        fresh = {model for model, _ in new_models}
        rebuild = []
        for model, size in sorted(batch.items()):
            if model in fresh or size < BULK_REBUILD_MIN:
                continue
            stored = conn.execute(
                "SELECT count(*) FROM matching_index_vector WHERE kind = %s AND model = %s", (kind, model)
            ).fetchone()[0]
            if size >= stored:
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(_index_name(kind, model))))
                rebuild.append((model, self._dims[(kind, model)]))
        return rebuild

    def _delete_rows(self, conn: psycopg.Connection, kind: str, ids: list[int]) -> list[tuple[dict, int]]:
        """Delete these records (their vectors go by cascade, their postings by key) and return
        the (term counts, length) of those that were stored."""
        old = conn.execute(
            "DELETE FROM matching_index_entry WHERE kind = %s AND object_id = ANY(%s) RETURNING object_id, tf, length",
            (kind, ids),
        ).fetchall()
        if old:
            terms = [term for _, tf, _ in old for term in tf]
            owners = [object_id for object_id, tf, _ in old for _ in tf]
            conn.execute(
                "DELETE FROM matching_index_posting AS p USING unnest(%s::text[], %s::int8[]) AS u(t, o)"
                " WHERE p.kind = %s AND p.term = u.t AND p.object_id = u.o",
                (terms, owners, kind),
            )
        return [(tf, length) for _, tf, length in old]

    @staticmethod
    def _models_of(conn: psycopg.Connection, kind: str) -> list[tuple[str, int]]:
        return conn.execute(
            "SELECT model, dim FROM matching_index_model WHERE kind = %s ORDER BY model", (kind,)
        ).fetchall()

    def _ensure_models(self, conn: psycopg.Connection, kind: str, entries: Iterable[IndexEntry]) -> list:
        """Check each vector against its model's dimension. A model seen for the first time for
        this kind gets its row; its HNSW index is created once its first vectors are in (in the
        caller's transaction). Returns those new (model, dimension) pairs."""
        dims = dict(conn.execute("SELECT model, dim FROM matching_index_model WHERE kind = %s", (kind,)).fetchall())
        new = []
        for entry in entries:
            for model, vector in entry.vectors.items():
                dim = len(vector)
                if model not in dims:
                    conn.execute(
                        "INSERT INTO matching_index_model (kind, model, dim, index_name) VALUES (%s, %s, %s, %s)",
                        (kind, model, dim, _index_name(kind, model)),
                    )
                    dims[model] = dim
                    new.append((model, dim))
                elif dims[model] != dim:
                    raise ValueError(
                        f"{kind} {entry.id}: the {model} vector has {dim} dimensions, the index holds {dims[model]}"
                    )
        for model, dim in dims.items():
            self._dims[(kind, model)] = dim
        return new

    def _create_vector_index(self, conn: psycopg.Connection, kind: str, model: str, dim: int) -> None:
        conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {name} ON matching_index_vector USING hnsw"
                " ((embedding::vector({dim})) vector_cosine_ops) WITH (m = {m}, ef_construction = {ef})"
                " WHERE kind = {kind} AND model = {model}"
            ).format(
                name=sql.Identifier(_index_name(kind, model)),
                dim=sql.Literal(dim),
                m=sql.Literal(self.hnsw_m),
                ef=sql.Literal(self.hnsw_ef_construction),
                kind=sql.Literal(kind),
                model=sql.Literal(model),
            )
        )

    def _apply_stats(self, conn: psycopg.Connection, kind: str, documents: int, total_length: int, delta: Counter):
        changed = sorted((term, count) for term, count in delta.items() if count)
        if changed:
            terms, counts = [t for t, _ in changed], [c for _, c in changed]
            # a net gain adds to (or creates) the term's row; a net loss drops it when it reaches 0,
            # else lowers it (in this order: each statement sees the rows the previous one left)
            conn.execute(
                "INSERT INTO matching_index_df AS d (kind, term, df)"
                " SELECT %s, t, c FROM unnest(%s::text[], %s::int[]) AS u(t, c) WHERE c > 0 ORDER BY t"
                " ON CONFLICT (kind, term) DO UPDATE SET df = d.df + EXCLUDED.df",
                (kind, terms, counts),
            )
            conn.execute(
                "DELETE FROM matching_index_df AS d USING unnest(%s::text[], %s::int[]) AS u(t, c)"
                " WHERE d.kind = %s AND d.term = u.t AND u.c < 0 AND d.df + u.c <= 0",
                (terms, counts, kind),
            )
            conn.execute(
                "UPDATE matching_index_df AS d SET df = d.df + u.c FROM unnest(%s::text[], %s::int[]) AS u(t, c)"
                " WHERE d.kind = %s AND d.term = u.t AND u.c < 0 AND d.df + u.c > 0",
                (terms, counts, kind),
            )
        if documents or total_length:
            conn.execute(
                "INSERT INTO matching_index_stats (kind, documents, total_length) VALUES (%s, 0, 0)"
                " ON CONFLICT (kind) DO NOTHING",
                (kind,),
            )
            conn.execute(
                "UPDATE matching_index_stats SET documents = documents + %s, total_length = total_length + %s"
                " WHERE kind = %s",
                (documents, total_length, kind),
            )

    def delete(self, kind: str, ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in ids})
        if not ids:
            return
        conn = self._connection()
        with conn.transaction():
            self._lock_kind(conn, kind)
            old = self._delete_rows(conn, kind, ids)
            if old:
                delta: Counter = Counter()
                for tf, _ in old:
                    delta.subtract(tf.keys())
                self._apply_stats(conn, kind, -len(old), -sum(length for _, length in old), delta)

    # -- reads

    def _stats(self, conn: psycopg.Connection, kind: str, terms: Sequence[str] | None) -> LexicalStats:
        """The corpus statistics; with `terms`, df only for those (all BM25 of a query needs)."""
        row = conn.execute(
            "SELECT documents, total_length FROM matching_index_stats WHERE kind = %s", (kind,)
        ).fetchone()
        documents, total = row if row else (0, 0)
        if terms is None:
            df_rows = conn.execute("SELECT term, df FROM matching_index_df WHERE kind = %s", (kind,)).fetchall()
        else:
            df_rows = conn.execute(
                "SELECT term, df FROM matching_index_df WHERE kind = %s AND term = ANY(%s)",
                (kind, sorted(set(terms))),
            ).fetchall()
        return LexicalStats(
            documents=int(documents), average_length=(total / documents) if documents else 0.0, df=dict(df_rows)
        )

    def lexical_stats(self, kind: str, terms=None) -> LexicalStats:
        conn = self._connection()
        with conn.transaction():
            return self._stats(conn, kind, None if terms is None else list(terms))

    def candidates(
        self,
        kind: str,
        query: Query,
        *,
        dense_k: int,
        lexical_k: int,
        audiences: Sequence[str] | None = None,
        exclude: Iterable[int] = (),
        other_language_k: int = 0,
        other_language_models: Iterable[str] = (),
    ) -> list[Candidate]:
        exclude = sorted({int(i) for i in exclude})
        audiences = None if audiences is None else list(audiences)
        other_language_models = set(other_language_models)
        conn = self._connection()
        with conn.transaction():  # one snapshot: the candidates and their scores agree
            conn.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            ef_search = min(1000, max(self.ef_search, dense_k))
            conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef_search),))
            stats = self._stats(conn, kind, query.tokens)
            terms = query_terms(query.tokens, stats)
            found: set[int] = set()
            for model, vector in query.vectors.items():
                top = self._dense_top(conn, kind, model, vector, dense_k, audiences, exclude) if dense_k > 0 else []
                found.update(top)
                if model in other_language_models and other_language_k > 0:
                    # the top dense_k holds the other languages' best already when it holds enough of them
                    if self._count_other_language(conn, kind, top, query.language) < other_language_k:
                        found.update(
                            self._other_language_top(
                                conn, kind, model, vector, other_language_k, audiences, exclude, query.language
                            )
                        )
            if lexical_k > 0 and terms:
                found.update(self._lexical_top(conn, kind, terms, stats, lexical_k, audiences, exclude))
            return self._score(conn, kind, query, sorted(found), stats, terms)

    def _model_dim(self, conn: psycopg.Connection, kind: str, model: str) -> int | None:
        if (kind, model) not in self._dims:
            row = conn.execute(
                "SELECT dim FROM matching_index_model WHERE kind = %s AND model = %s", (kind, model)
            ).fetchone()
            if row is None:
                return None
            self._dims[(kind, model)] = row[0]
        return self._dims[(kind, model)]

    def _filters(self, audiences, exclude, alias: str = "") -> tuple[sql.Composable, list]:
        clauses, params = [], []
        if audiences is not None:
            clauses.append(sql.SQL(f" AND {alias}audience = ANY(%s)"))
            params.append(audiences)
        if exclude:
            clauses.append(sql.SQL(f" AND {alias}object_id <> ALL(%s)"))
            params.append(exclude)
        return sql.SQL("").join(clauses), params

    def _count_other_language(self, conn, kind, ids: list[int], language: str) -> int:
        if not ids:
            return 0
        return conn.execute(
            "SELECT count(*) FROM matching_index_entry WHERE kind = %s AND object_id = ANY(%s) AND language <> %s",
            (kind, ids, language),
        ).fetchone()[0]

    def _other_language_top(self, conn, kind, model, vector, k, audiences, exclude, language) -> list[int]:
        """The k nearest records in another language than `language`, by an exact scan of them:
        they are what an HNSW walk filtered to them misses (behind the query language's
        neighbours, a walk stops at hnsw.max_scan_tuples before reaching them). The rows come
        from the (kind, language) index, so a corpus in the query's language alone costs a probe."""
        dim, vector = self._query_vector(conn, kind, model, vector)
        if dim is None:
            return []
        filters, params = self._filters(audiences, exclude, "e.")
        # ordered by the distance without the cast, so that the HNSW index does not apply
        query = sql.SQL(
            "SELECT e.object_id FROM matching_index_entry e JOIN matching_index_vector v"
            " ON v.kind = e.kind AND v.object_id = e.object_id AND v.model = %s"
            " WHERE e.kind = %s AND (e.language < %s OR e.language > %s){filters}"
            " ORDER BY v.embedding <=> %s::vector, e.object_id LIMIT %s"
        ).format(filters=filters)
        return [row[0] for row in conn.execute(query, [model, kind, language, language, *params, vector, k]).fetchall()]

    def _query_vector(self, conn, kind, model, vector) -> tuple[int | None, np.ndarray]:
        """The model's stored dimension (None: nothing of this kind under this model) and the query
        vector as float32, refused when its dimension differs."""
        dim = self._model_dim(conn, kind, model)
        vector = np.asarray(vector, dtype=np.float32).ravel()
        if dim is not None and vector.shape[0] != dim:
            raise ValueError(f"the {model} query vector has {vector.shape[0]} dimensions, the index holds {dim}")
        return dim, vector

    def _dense_top(self, conn, kind, model, vector, k, audiences, exclude) -> list[int]:
        dim, vector = self._query_vector(conn, kind, model, vector)
        if dim is None:
            return []  # nothing of this kind is stored under this model
        filters, params = self._filters(audiences, exclude)
        # kind and model are literals so that the planner matches the partial HNSW index
        query = sql.SQL(
            "SELECT object_id FROM matching_index_vector WHERE kind = {kind} AND model = {model}{filters}"
            " ORDER BY embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s"
        ).format(kind=sql.Literal(kind), model=sql.Literal(model), filters=filters, dim=sql.Literal(dim))
        return [row[0] for row in conn.execute(query, [*params, vector, k]).fetchall()]

    def _lexical_top(self, conn, kind, terms: dict[str, int], stats: LexicalStats, k, audiences, exclude) -> list[int]:
        """The top k by BM25 over the query's candidate-selecting terms (`lexical_search_terms`),
        summed over their postings. The other query terms count in the BM25 of the scored
        candidates, not in choosing them."""
        searched = lexical_search_terms(terms, stats, self.postings_per_candidate * k)
        weights = [terms[t] * stats.idf(t) * (K1 + 1) for t in searched]
        filters, params = self._filters(audiences, exclude, "p.")
        query = sql.SQL(
            "SELECT p.object_id, sum(q.w * p.tf / (p.tf + %s * (1 - %s + %s * p.length / %s))) AS score"
            " FROM unnest(%s::text[], %s::float8[]) AS q(t, w)"
            " JOIN matching_index_posting p ON p.kind = %s AND p.term = q.t"
            " WHERE true{filters} GROUP BY p.object_id ORDER BY score DESC, p.object_id LIMIT %s"
        ).format(filters=filters)
        average = stats.average_length or 1.0
        rows = conn.execute(query, [K1, B, B, average, searched, weights, kind, *params, k]).fetchall()
        return [row[0] for row in rows]

    def _score(self, conn, kind, query: Query, ids: list[int], stats: LexicalStats, terms: dict[str, int]):
        if not ids:
            return []
        # the records' whole term counts: parsing them here is cheaper than picking the query's
        # terms out of each in SQL (measured)
        rows = conn.execute(
            "SELECT object_id, language, owner, attrs, length, tf FROM matching_index_entry"
            " WHERE kind = %s AND object_id = ANY(%s) ORDER BY object_id",
            (kind, ids),
        ).fetchall()
        dense: dict[int, dict[str, float]] = {row[0]: {} for row in rows}
        stored = list(dense)
        for model, vector in query.vectors.items():
            dim = self._model_dim(conn, kind, model)
            if dim is None:
                continue
            vector = np.asarray(vector, dtype=np.float32).ravel()
            if vector.shape[0] != dim:
                raise ValueError(f"the {model} query vector has {vector.shape[0]} dimensions, the index holds {dim}")
            for object_id, cosine in conn.execute(
                "SELECT object_id, 1 - (embedding <=> %s::vector) FROM matching_index_vector"
                " WHERE kind = %s AND model = %s AND object_id = ANY(%s)",
                (vector, kind, model, stored),
            ).fetchall():
                dense[object_id][model] = float(cosine)
        lexical = bm25_scores(terms, ((row[5], row[4]) for row in rows), stats)
        return [
            Candidate(
                id=row[0],
                dense=dense[row[0]],
                bm25=bm25,
                shared_terms=shared,
                language=row[1],
                owner=row[2],
                attrs=row[3],
            )
            for row, (bm25, shared) in zip(rows, lexical, strict=True)
        ]

    def score(self, kind: str, query: Query, ids: Iterable[int]) -> list[Candidate]:
        conn = self._connection()
        with conn.transaction():
            stats = self._stats(conn, kind, query.tokens)
            terms = query_terms(query.tokens, stats)
            return self._score(conn, kind, query, sorted({int(i) for i in ids}), stats, terms)

    def entry(self, kind: str, id: int) -> IndexEntry | None:
        conn = self._connection()
        with conn.transaction():
            row = conn.execute(
                "SELECT tokens, language, owner, audience, attrs FROM matching_index_entry"
                " WHERE kind = %s AND object_id = %s",
                (kind, int(id)),
            ).fetchone()
            if row is None:
                return None
            vectors = conn.execute(
                "SELECT model, embedding FROM matching_index_vector WHERE kind = %s AND object_id = %s",
                (kind, int(id)),
                binary=True,
            ).fetchall()
        tokens, language, owner, audience, attrs = row
        return IndexEntry(
            kind=kind,
            id=int(id),
            tokens=list(tokens),
            vectors={model: embedding for model, embedding in vectors},
            language=language,
            owner=owner,
            audience=audience,
            attrs=attrs,
        )

    def ids(self, kind: str) -> set[int]:
        conn = self._connection()
        return {row[0] for row in conn.execute("SELECT object_id FROM matching_index_entry WHERE kind = %s", (kind,))}

    def count(self, kind: str) -> int:
        conn = self._connection()
        row = conn.execute("SELECT documents FROM matching_index_stats WHERE kind = %s", (kind,)).fetchone()
        return int(row[0]) if row else 0


__all__ = ["PostgresMatchingIndex"]
