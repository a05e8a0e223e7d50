"""The stored matching index: one small interface, two backends chosen by `MATCHING_INDEX`.

- `local` (default, embedded): usearch HNSW for vectors plus an in-process lexical index, both
  updated per record and persisted under `MATCHING_INDEX_DIR`;
- `postgres`: pgvector (HNSW) and PostgreSQL full-text search over the stored tokens.

Workers write (upsert / delete, from the embedding task); web processes only read."""

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Candidate, IndexEntry, MatchingIndex, Query

__all__ = ["Candidate", "IndexEntry", "MatchingIndex", "Query", "get_index", "reset_index"]

BACKENDS = {
    "local": "matchmaking.index.local.LocalMatchingIndex",
    "postgres": "matchmaking.index.postgres.PostgresMatchingIndex",
    # The whole corpus scored on every query: the reference for tests and evaluation only.
    "exact": "matchmaking.index.exact.ExactMatchingIndex",
}
_lock = threading.Lock()
_index: MatchingIndex | None = None


def get_index() -> MatchingIndex:
    """The configured backend, opened once per process (opening reads the stored index; it
    never builds one)."""
    global _index
    with _lock:
        if _index is None:
            name = settings.MATCHING_INDEX
            if name not in BACKENDS:
                raise ValueError(f"MATCHING_INDEX must be one of {sorted(BACKENDS)}, not {name!r}")
            _index = import_string(BACKENDS[name]).from_settings()
        return _index


def reset_index() -> None:
    """Forget the opened backend (tests, and after a settings change)."""
    global _index
    with _lock:
        if _index is not None:
            _index.close()
        _index = None
