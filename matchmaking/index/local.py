"""The embedded matching index: usearch HNSW graphs for vectors, an in-process inverted index for
BM25, both updated per record and persisted under `MATCHING_INDEX_DIR`.

Why usearch: one small wheel (no BLAS or GPU stack), HNSW with per-key add and remove (so a record
is replaced in place, without rebuilding), exact lookup of a stored vector by key, and an index
that saves to and restores from a single file. FAISS's HNSW cannot remove vectors.

Writes go to an append-only journal first (see `journal.py`); every process, the writer included,
applies the journal in order, so all processes hold the same state. A reader (a web process)
opens the last snapshot and replays the journal after it; on every call it checks (an fstat)
whether another process wrote and applies only the new records. `snapshot()` writes the whole
state atomically and lets the journal before it be deleted; writers take one on their own after
`snapshot_every` journalled records (MATCHING_INDEX_SNAPSHOT_EVERY).

Per record this stores: the vector per model twice, float32 in a slot-indexed matrix (exact
cosines, entry(), and exact search) and half precision in the model's HNSW graph (key = the record
id); the tokens as term ids; one posting per distinct term; language, owner, audience and attrs.

Dense search is exact (one mat-vec over the matrix, as fast as bare numpy) up to EXACT_SEARCH_BELOW
records per model, because on structureless vectors a graph needs more work than a scan for 0.98
recall (measured: random 384-d unit vectors, 100,000 of them, HNSW M=32 reaches recall@20 0.94 only
at expansion_search 2048, three times slower than the scan); past it the graph answers, its
candidates re-ranked by the exact cosines. Dense scores are inner products of the stored unit
vectors with the query's; BM25 is `base.bm25_scores`, vectorised, with exact corpus statistics."""

import base64
import json
import logging
import os
import shutil
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from usearch.index import Index

from .base import Candidate, IndexEntry, LexicalStats, MatchingIndex, Query, query_terms
from .inverted import KindStore
from .journal import (
    Current,
    Journal,
    JournalLost,
    decode_value,
    encode_line,
    encode_value,
    fsync_directory,
    try_lock,
)

logger = logging.getLogger(__name__)

# HNSW parameters (bench/matching_index_micro.py measures them): edges per node, the candidate
# list while inserting and while searching. See the README for recall and latency.
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 256
# A snapshot after this many journalled records (upserted or deleted entries): replaying that
# many on start-up costs about as long as a snapshot of a 100,000-record index takes to load.
SNAPSHOT_EVERY = 1000
# Entries per journal line (a large upsert is several lines, each applied as one batch).
LINE_ENTRIES = 256
# Dense search asks the graph for more than k when filters remove some, growing by this factor
# until k eligible records are found (then exactly, over the whole index, if the graph came short).
OVERSAMPLE_GROWTH = 4
# Dense search is an exact scan of the float32 vectors (one mat-vec, as fast as bare numpy) while a
# model holds at most this many records of a kind, and whenever a filter leaves at most EXACT_BELOW
# eligible; past it, the HNSW graph answers (and its candidates are scored exactly).
EXACT_SEARCH_BELOW = 250_000
EXACT_BELOW = 2048
# usearch adds a batch on all cores; into a small graph that links some early nodes poorly (measured:
# 200 random 8-d vectors, M=16, one query in 50 misses one of its exact top 7, none when added on
# one thread), so a graph's first SERIAL_ADD_BELOW vectors go in one at a time, the rest in parallel.
SERIAL_ADD_BELOW = 4096
# 2: dead slots are kept (an `alive` array); a process that reads format 1 only would revive them
SNAPSHOT_FORMAT = 2
READABLE_FORMATS = (1, 2)


def _vector(value, model: str) -> np.ndarray:
    vector = np.asarray(value, dtype=np.float32)
    if vector.ndim != 1 or not len(vector):
        raise ValueError(f"the vector for {model!r} must be one non-empty row, not shape {vector.shape}")
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"the vector for {model!r} has non-finite values")
    return vector


class VectorColumn:
    """One model's float32 vectors of one kind, row = the record's slot in its KindStore (the
    exact values: cosines, exact search, entry()); `has` marks the slots holding a vector."""

    def __init__(self, ndim: int, data: np.ndarray | None = None, has: np.ndarray | None = None):
        self.ndim = ndim
        self.n = 0 if data is None else len(data)
        self.data = np.zeros((max(16, self.n), ndim), dtype=np.float32)
        self.has = np.zeros(len(self.data), dtype=bool)
        if data is not None:
            self.data[: self.n] = data
            self.has[: self.n] = has

    def set(self, slot: int, vector: np.ndarray) -> None:
        if slot >= len(self.data):
            capacity = max(2 * len(self.data), slot + 1)
            data = np.zeros((capacity, self.ndim), dtype=np.float32)
            data[: self.n] = self.data[: self.n]
            has = np.zeros(capacity, dtype=bool)
            has[: self.n] = self.has[: self.n]
            self.data, self.has = data, has
        self.data[slot] = vector
        self.has[slot] = True
        self.n = max(self.n, slot + 1)

    def clear(self, slot: int) -> None:
        if slot < self.n:
            self.has[slot] = False

    def valid(self, mask: np.ndarray) -> np.ndarray:
        """Slots < n that hold a vector and pass `mask`."""
        return self.has[: self.n] & mask[: self.n]

    def compact(self, live: np.ndarray) -> None:
        live = live[live < self.n]
        self.data, self.has, self.n = self.data[live].copy(), self.has[live].copy(), len(live)
        if not len(self.data):
            self.data, self.has = np.zeros((16, self.ndim), dtype=np.float32), np.zeros(16, dtype=bool)


def _encode_entry(entry: IndexEntry, vectors: dict[str, np.ndarray]) -> dict:
    return {
        "kind": entry.kind,
        "id": int(entry.id),
        "tokens": [str(t) for t in entry.tokens],
        "vectors": {m: base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for m, v in vectors.items()},
        "language": entry.language,
        "owner": None if entry.owner is None else int(entry.owner),
        "audience": entry.audience,
        "attrs": encode_value(entry.attrs or {}),
    }


def _decode_vectors(encoded: dict[str, str]) -> dict[str, np.ndarray]:
    return {m: np.frombuffer(base64.b64decode(v), dtype="<f4") for m, v in encoded.items()}


def _add_to_graph(index: Index, keys: np.ndarray, vectors: np.ndarray) -> None:
    serial = max(0, min(len(keys), SERIAL_ADD_BELOW - len(index)))
    if serial:
        index.add(keys[:serial], vectors[:serial], threads=1)
    if serial < len(keys):
        index.add(keys[serial:], vectors[serial:])


def _write_snapshot(directory: Path, state: dict) -> None:
    """Write a copied state (LocalMatchingIndex._copy_state) as a snapshot directory, synced."""
    directory.mkdir(parents=True)
    manifest = {"format": SNAPSHOT_FORMAT, "position": state["position"], "kinds": {}, "vectors": []}
    for number, (kind, arrays, meta) in enumerate(state["kinds"]):
        meta = {**meta, "attrs": [encode_value(a) for a in meta["attrs"]]}
        np.savez(directory / f"kind-{number}.npz", **arrays)
        with open(directory / f"kind-{number}.json", "w") as handle:
            json.dump(meta, handle, ensure_ascii=False, separators=(",", ":"))
        manifest["kinds"][kind] = f"kind-{number}"
    for number, (kind, model, graph, data, has) in enumerate(state["vectors"]):
        name = f"vectors-{number}"
        (directory / f"{name}.usearch").write_bytes(graph)
        np.save(directory / f"{name}.npy", data)
        np.save(directory / f"{name}-has.npy", has)
        manifest["vectors"].append({"kind": kind, "model": model, "file": name})
    with open(directory / "manifest.json", "w") as handle:
        json.dump(manifest, handle)
    for path in directory.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_directory(directory)


class LocalMatchingIndex(MatchingIndex):
    def __init__(
        self,
        directory,
        *,
        snapshot_every: int = SNAPSHOT_EVERY,
        connectivity: int = CONNECTIVITY,
        expansion_add: int = EXPANSION_ADD,
        expansion_search: int = EXPANSION_SEARCH,
        durable: bool = False,
    ):
        """`durable`: fsync every journal write (a power cut then loses nothing; a process crash
        never loses a completed write either way)."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "snapshots").mkdir(exist_ok=True)
        self.snapshot_every = snapshot_every
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        self.durable = durable
        self._lock = threading.RLock()
        self._current = Current(self.directory)
        self._journal = Journal(self.directory)
        self._closed = False
        self._open()

    @classmethod
    def from_settings(cls) -> "LocalMatchingIndex":
        from django.conf import settings

        return cls(
            settings.MATCHING_INDEX_DIR,
            snapshot_every=getattr(settings, "MATCHING_INDEX_SNAPSHOT_EVERY", SNAPSHOT_EVERY),
        )

    # -- opening and following the journal --------------------------------------------------

    def _reset(self) -> None:
        self._stores: dict[str, KindStore] = {}
        self._vectors: dict[tuple[str, str], Index] = {}
        self._columns: dict[tuple[str, str], VectorColumn] = {}
        # (journal position after a line, records in it) for lines after the last snapshot.
        self._pending: deque[tuple[int, int]] = deque()

    def _open(self) -> None:
        """Load the current snapshot (retrying if a newer one replaced it meanwhile), then replay
        the journal after it."""
        self._reset()
        for _attempt in range(5):
            current = self._current.read()
            try:
                if current["snapshot"]:
                    self._load_snapshot(self.directory / "snapshots" / current["snapshot"])
                break
            except FileNotFoundError:
                logger.info("matching index: snapshot %s was replaced while opening; retrying", current["snapshot"])
                self._reset()
        else:
            raise RuntimeError(f"the matching index under {self.directory} keeps changing; could not open it")
        self._snapshot_position = current["position"]
        self._journal.seek(current["position"])
        self._catch_up()

    def _catch_up(self) -> None:
        """Apply what other processes (and this one) appended to the journal since the last call."""
        if self._closed:
            raise RuntimeError("the matching index is closed")
        try:
            for position, record in self._journal.read():
                try:
                    applied = self._apply(record)
                except Exception:  # every process fails alike on it, so they stay in step
                    logger.exception("matching index: a journal record ending at %d could not be applied", position)
                    applied = 0
                self._pending.append((position, applied))
        except JournalLost:
            logger.warning("matching index: fell behind the journal by more than a snapshot; reloading")
            self._journal.close()
            self._open()

    def _apply(self, record: dict) -> int:
        if record["op"] == "delete":
            for record_id in record["ids"]:
                self._remove(record["kind"], int(record_id))
            return len(record["ids"])
        if record["op"] == "upsert":
            additions: dict[tuple[str, str], tuple[list[int], list[np.ndarray]]] = {}
            for item in record["entries"]:
                kind, record_id = item["kind"], int(item["id"])
                self._remove(kind, record_id)
                store = self._store(kind)
                slot = store.add(
                    record_id,
                    item["tokens"],
                    item["audience"],
                    item["language"],
                    item["owner"],
                    decode_value(item["attrs"]),
                )
                for model, vector in _decode_vectors(item["vectors"]).items():
                    column = self._columns.get((kind, model))
                    if column is None:
                        column = self._columns[(kind, model)] = VectorColumn(len(vector))
                    if column.ndim != len(vector):
                        logger.error(
                            "matching index: %s %s: %s vector of %d dimensions, not %d; skipped",
                            kind,
                            record_id,
                            model,
                            len(vector),
                            column.ndim,
                        )
                        continue
                    column.set(slot, vector)
                    keys, vectors = additions.setdefault((kind, model), ([], []))
                    keys.append(record_id)
                    vectors.append(vector)
            for (kind, model), (keys, vectors) in additions.items():
                index = self._vector_index(kind, model, len(vectors[0]))
                _add_to_graph(index, np.asarray(keys, dtype=np.uint64), np.stack(vectors))
            return len(record["entries"])
        logger.error("matching index journal: unknown operation %r skipped", record.get("op"))
        return 0

    def _store(self, kind: str) -> KindStore:
        store = self._stores.get(kind)
        if store is None:
            store = self._stores[kind] = KindStore(kind)
            store.compact_hooks.append(lambda live, kind=kind: self._compact_columns(kind, live))
        return store

    def _compact_columns(self, kind: str, live: np.ndarray) -> None:
        for (column_kind, _model), column in self._columns.items():
            if column_kind == kind:
                column.compact(live)

    def _remove(self, kind: str, record_id: int) -> None:
        store = self._stores.get(kind)
        slot = store.slot_of.get(record_id) if store is not None else None
        if slot is None:
            return
        for (column_kind, _model), column in self._columns.items():
            if column_kind == kind:
                column.clear(slot)
        store.remove(record_id)
        for (index_kind, _model), index in self._vectors.items():
            if index_kind == kind and record_id in index:
                index.remove(record_id)

    def _vector_index(self, kind: str, model: str, ndim: int) -> Index:
        index = self._vectors.get((kind, model))
        if index is None:
            index = self._vectors[(kind, model)] = Index(
                ndim=ndim,
                metric="cos",
                dtype="f16",  # the graph only ranks; exact values come from the VectorColumn
                connectivity=self.connectivity,
                expansion_add=self.expansion_add,
                expansion_search=self.expansion_search,
            )
        return index

    # -- writing ----------------------------------------------------------------------------

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        latest: dict[tuple[str, int], IndexEntry] = {}
        for entry in entries:  # the last version of a record in one call wins
            latest.pop((entry.kind, int(entry.id)), None)
            latest[(entry.kind, int(entry.id))] = entry
        if not latest:
            return
        encoded = []
        with self._lock:
            self._catch_up()
            dimensions = {key: column.ndim for key, column in self._columns.items()}
        for entry in latest.values():
            vectors = {model: _vector(value, model) for model, value in entry.vectors.items()}
            for model, vector in vectors.items():
                expected = dimensions.setdefault((entry.kind, model), len(vector))
                if expected != len(vector):
                    raise ValueError(
                        f"{model!r} vectors of {entry.kind} have {expected} dimensions; {entry.kind} "
                        f"{entry.id} has {len(vector)}"
                    )
            encoded.append(_encode_entry(entry, vectors))
        lines = [
            encode_line({"op": "upsert", "entries": encoded[i : i + LINE_ENTRIES]})
            for i in range(0, len(encoded), LINE_ENTRIES)
        ]
        self._write(lines)

    def delete(self, kind: str, ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in ids})
        if ids:
            self._write([encode_line({"op": "delete", "kind": kind, "ids": ids})])

    def _write(self, lines: list[bytes]) -> None:
        if self._closed:
            raise RuntimeError("the matching index is closed")
        self._journal.append(lines, durable=self.durable)
        with self._lock:
            self._catch_up()
        # A snapshot writes the whole index, so it waits for a tail of at least a quarter of the
        # index as well: the cost per record stays constant while the index grows (a bulk load
        # of N records writes O(log N) snapshots, not N / snapshot_every).
        if self.snapshot_every and self.pending_records() >= max(self.snapshot_every, self._size() // 4):
            self.snapshot()

    def _size(self) -> int:
        with self._lock:
            return sum(len(store.slot_of) for store in self._stores.values())

    def pending_records(self) -> int:
        """Records journalled after the newest snapshot (as far as this process has read)."""
        position = self._current.read()["position"]
        with self._lock:
            while self._pending and self._pending[0][0] <= position:
                self._pending.popleft()
            return sum(n for _, n in self._pending)

    # -- snapshots --------------------------------------------------------------------------

    def snapshot(self) -> bool:
        """Write the state as a new snapshot, point CURRENT at it and drop the journal that the
        previous snapshot made redundant. Returns False (and does nothing) when there is nothing
        new since the newest snapshot or another process is writing one right now.

        Reads in this process wait only while the state is copied in memory (the stores compacted
        and copied, each graph serialised to a buffer); the files are written and synced after, so
        a web process that takes a snapshot after a write keeps answering meanwhile."""
        snapshots = self.directory / "snapshots"
        with try_lock(self.directory / "snapshot.lock") as mine:
            if not mine:
                return False
            with self._lock:
                self._catch_up()
                position = self._journal.position
                if position <= self._current.read()["position"]:
                    return False
                state = self._copy_state(position)
            name = f"{position:020d}-{uuid.uuid4().hex[:8]}"
            temporary = snapshots / f"tmp-{name}"
            _write_snapshot(temporary, state)
            temporary.rename(snapshots / name)
            fsync_directory(snapshots)
            with self._journal.locked():
                previous = self._current.read()
                if previous["position"] >= position:
                    shutil.rmtree(snapshots / name, ignore_errors=True)
                    return False
                self._current.write(name, position)
                self._journal.rotate(keep_from=previous["position"])
            keep = {name, previous["snapshot"]}
            for path in snapshots.iterdir():
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)
        self.pending_records()
        logger.info("matching index: snapshot %s written", name)
        return True

    def _copy_state(self, position: int) -> dict:
        """Everything a snapshot holds, as it is now (under the lock), as cheaply as possible: the
        vectors are not copied, because a VectorColumn's rows below `n` are never written again
        (slots are only appended; a compaction builds new arrays), so a view of them stays as it
        is; what changes in place (the `has` flags, the stores' columns) is copied, and the attrs
        are encoded later, outside the lock."""
        kinds = []
        for kind, store in sorted(self._stores.items()):
            arrays, meta = store.to_arrays()
            kinds.append(
                (
                    kind,
                    {k: np.array(v) for k, v in arrays.items()},
                    {**meta, "terms": list(meta["terms"]), "audiences": list(meta["audiences"])},
                )
            )
        vectors = [
            (kind, model, self._vectors[(kind, model)].save(), column.data[: column.n], column.has[: column.n].copy())
            for (kind, model), column in sorted(self._columns.items())
        ]
        return {"position": position, "kinds": kinds, "vectors": vectors}

    def _load_snapshot(self, directory: Path) -> None:
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format") not in READABLE_FORMATS:
            raise RuntimeError(f"matching index snapshot {directory} has format {manifest.get('format')}")
        for kind, stem in manifest["kinds"].items():
            meta = json.loads((directory / f"{stem}.json").read_text())
            with np.load(directory / f"{stem}.npz") as arrays:
                arrays = {name: arrays[name] for name in arrays.files}
            store = self._stores[kind] = KindStore.from_arrays(kind, arrays, meta, decode_value)
            store.compact_hooks.append(lambda live, kind=kind: self._compact_columns(kind, live))
        for item in manifest["vectors"]:
            key, name = (item["kind"], item["model"]), item["file"]
            data = np.load(directory / f"{name}.npy")
            self._columns[key] = VectorColumn(data.shape[1], data, np.load(directory / f"{name}-has.npy"))
            index = Index.restore(str(directory / f"{name}.usearch"))
            if index is None:
                raise RuntimeError(f"matching index snapshot {directory}: {name}.usearch is not a usearch index")
            index.expansion_add = self.expansion_add
            index.expansion_search = self.expansion_search
            self._vectors[key] = index

    # -- reading ----------------------------------------------------------------------------

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
        exclude = {int(i) for i in exclude}
        other_language_models = set(other_language_models)
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            if store is None or not store.slot_of:
                return []
            excluded = [store.slot_of[i] for i in exclude if i in store.slot_of]
            mask = store.eligible(audiences, excluded)
            chosen: set[int] = set()
            others = None
            for model, vector in query.vectors.items():
                top = self._dense_top(kind, model, vector, dense_k, store, mask, len(excluded)) if dense_k > 0 else []
                chosen.update(top)
                if other_language_k > 0 and model in other_language_models:
                    if others is None:
                        others = store.not_in_language(query.language)
                    # the top dense_k holds the other languages' best already when it holds enough of
                    # them, or all of them
                    held = int(others[np.asarray(top, dtype=np.int64)].sum())
                    if held < other_language_k and held < int((mask & others).sum()):
                        chosen.update(
                            self._dense_top(kind, model, vector, other_language_k, store, mask & others, len(excluded))
                        )
            stats = store.stats()
            terms = query_terms(query.tokens, stats)
            lexical = store.bm25_all(terms, stats) if terms else None
            if lexical is not None and lexical_k > 0:
                chosen.update(store.top(lexical[0], mask, lexical_k).tolist())
            slots = sorted(chosen, key=lambda s: int(store.ids.data[s]))
            return self._scored(kind, store, query, slots, terms, lexical)

    def _dense_top(self, kind, model, vector, k, store: KindStore, mask: np.ndarray, excluded: int) -> list[int]:
        """Slots of the k eligible records nearest to `vector` under `model`: an exact scan of the
        vectors while that is cheap (see EXACT_SEARCH_BELOW), else from the graph, asking it for
        more while filters leave fewer than k (and exactly if it still comes short)."""
        column = self._columns.get((kind, model))
        if column is None:
            return []
        query = _vector(vector, model)
        if len(query) != column.ndim:
            raise ValueError(f"the query vector for {model!r} has {len(query)} dimensions, not {column.ndim}")
        valid = column.valid(mask)
        eligible = int(valid.sum())
        index = self._vectors[(kind, model)]
        size = len(index)
        if size <= EXACT_SEARCH_BELOW or eligible <= max(EXACT_BELOW, OVERSAMPLE_GROWTH * k):
            return self._exact_top(column, query, k, store, valid, eligible)
        # Twice k from the graph (its half-precision order is re-ranked by the exact cosines).
        count = min(size, int(2 * k * size / max(eligible, 1) * 1.1) + excluded + 8)
        while True:
            found = self._eligible_slots(index.search(query, count, threads=1).keys, store, mask)
            if len(found) >= 2 * k or count >= size:
                break
            count = min(size, count * OVERSAMPLE_GROWTH)
        if len(found) < k:  # the graph did not reach them all: the exact answer
            return self._exact_top(column, query, k, store, valid, eligible)
        slots = np.asarray(found, dtype=np.int64)
        scores = column.data[slots] @ query
        return slots[np.lexsort((store.ids.data[slots], -scores))[:k]].tolist()

    @staticmethod
    def _exact_top(column: VectorColumn, query: np.ndarray, k: int, store: KindStore, valid, eligible) -> list[int]:
        if not eligible:
            return []
        if eligible * 4 < column.n:  # a narrow filter (few in a language or audience): score those only
            slots = np.flatnonzero(valid)
            scores = column.data[slots] @ query
            order = np.lexsort((store.ids.data[slots], -scores))[:k]
            return slots[order].tolist()
        scores = column.data[: column.n] @ query
        if eligible <= k:
            slots = np.flatnonzero(valid)
        else:
            scores[~valid] = -np.inf
            slots = np.argpartition(-scores, k - 1)[:k]
        order = np.lexsort((store.ids.data[slots], -scores[slots]))
        return slots[order].tolist()

    @staticmethod
    def _eligible_slots(keys: np.ndarray, store: KindStore, mask: np.ndarray) -> list[int]:
        slot_of = store.slot_of
        slots = [slot_of.get(int(key), -1) for key in keys.tolist()]
        return [s for s in slots if s >= 0 and mask[s]]

    def _scored(self, kind, store: KindStore, query: Query, slots: list[int], terms, lexical) -> list[Candidate]:
        if not slots:
            return []
        ids = store.ids.data[np.asarray(slots, dtype=np.int64)]
        dense: list[dict[str, float]] = [{} for _ in slots]
        positions = np.asarray(slots, dtype=np.int64)
        for model, vector in query.vectors.items():
            column = self._columns.get((kind, model))
            if column is None:
                continue
            query_vector = _vector(vector, model).astype(np.float64)
            if len(query_vector) != column.ndim:
                raise ValueError(f"the query vector for {model!r} has {len(query_vector)} dimensions")
            inside = positions < column.n
            present = np.flatnonzero(inside)[column.has[positions[inside]]]
            if not len(present):
                continue
            values = column.data[positions[present]].astype(np.float64) @ query_vector
            for row, value in zip(present.tolist(), values.tolist(), strict=True):
                dense[row][model] = value
        if lexical is not None:
            scores, postings = lexical
            shared = store.shared_terms(terms, postings, slots)
        result = []
        for row, slot in enumerate(slots):
            result.append(
                Candidate(
                    id=int(ids[row]),
                    dense=dense[row],
                    bm25=float(scores[slot]) if lexical is not None else 0.0,
                    shared_terms=shared[slot] if lexical is not None else [],
                    language=store.language[slot],
                    owner=store.owner[slot],
                    attrs=store.attrs[slot],
                )
            )
        return result

    def score(self, kind: str, query: Query, ids: Iterable[int]) -> list[Candidate]:
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            if store is None:
                return []
            slots = list(dict.fromkeys(store.slot_of[int(i)] for i in ids if int(i) in store.slot_of))
            if not slots:
                return []
            stats = store.stats()
            terms = query_terms(query.tokens, stats)
            lexical = store.bm25_all(terms, stats) if terms else None
            return self._scored(kind, store, query, slots, terms, lexical)

    def lexical_stats(self, kind: str, terms=None) -> LexicalStats:  # held in memory: all of them
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            return store.stats() if store is not None else LexicalStats(0, 0.0, {})

    def entry(self, kind: str, id: int) -> IndexEntry | None:
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            slot = store.slot_of.get(int(id)) if store is not None else None
            if slot is None:
                return None
            vectors = {}
            for (column_kind, model), column in self._columns.items():
                if column_kind == kind and slot < column.n and column.has[slot]:
                    vectors[model] = column.data[slot].copy()
            return IndexEntry(
                kind=kind,
                id=int(id),
                tokens=[store.terms[t] for t in store.tokens[slot].tolist()],
                vectors=vectors,
                language=store.language[slot],
                owner=store.owner[slot],
                audience=store.audiences[int(store.audience.data[slot])],
                attrs=decode_value(encode_value(store.attrs[slot])),
            )

    def ids(self, kind: str) -> set[int]:
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            return set(store.slot_of) if store is not None else set()

    def count(self, kind: str) -> int:
        with self._lock:
            self._catch_up()
            store = self._stores.get(kind)
            return len(store.slot_of) if store is not None else 0

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._journal.close()
            self._stores, self._vectors, self._columns = {}, {}, {}
