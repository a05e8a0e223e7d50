"""An exact, in-memory backend: every record scored on every query.

It is the reference the approximate backends are measured against ("ranking the whole
corpus"), and what `evaluate_matching` compares two-stage retrieval with. Not for production:
a query costs O(corpus)."""

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .base import Candidate, IndexEntry, LexicalStats, MatchingIndex, Query, bm25_scores, query_terms


class ExactMatchingIndex(MatchingIndex):
    def __init__(self):
        self._entries: dict[tuple[str, int], IndexEntry] = {}
        self._counts: dict[tuple[str, int], Counter] = {}
        self._stats: dict[str, LexicalStats] = {}

    @classmethod
    def from_settings(cls) -> "ExactMatchingIndex":
        return cls()

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        for entry in entries:
            key = (entry.kind, entry.id)
            self._entries[key] = entry
            self._counts[key] = Counter(entry.tokens)
            self._stats.pop(entry.kind, None)

    def delete(self, kind: str, ids: Iterable[int]) -> None:
        for object_id in ids:
            self._entries.pop((kind, object_id), None)
            self._counts.pop((kind, object_id), None)
        self._stats.pop(kind, None)

    def lexical_stats(self, kind: str, terms=None) -> LexicalStats:
        if kind not in self._stats:
            self._stats[kind] = self._compute_stats(kind)
        return self._stats[kind]

    def _compute_stats(self, kind: str) -> LexicalStats:
        df: Counter = Counter()
        total = 0
        documents = 0
        for (entry_kind, _), counts in self._counts.items():
            if entry_kind == kind:
                documents += 1
                total += sum(counts.values())
                df.update(counts.keys())
        return LexicalStats(documents, total / documents if documents else 0.0, dict(df))

    def _keys(self, kind, audiences=None, exclude=()) -> list[tuple[str, int]]:
        excluded = set(exclude)
        return [
            key
            for key, entry in self._entries.items()
            if key[0] == kind and key[1] not in excluded and (audiences is None or entry.audience in audiences)
        ]

    def _scored(self, keys, query: Query, stats: LexicalStats) -> list[Candidate]:
        terms = query_terms(query.tokens, stats)
        lexical = bm25_scores(terms, [(self._counts[k], len(self._entries[k].tokens)) for k in keys], stats)
        result = []
        for key, (bm25, shared) in zip(keys, lexical, strict=True):
            entry = self._entries[key]
            dense = {
                model: float(np.dot(vector, entry.vectors[model]))
                for model, vector in query.vectors.items()
                if model in entry.vectors
            }
            result.append(Candidate(key[1], dense, bm25, shared, entry.language, entry.owner, entry.attrs))
        return result

    def candidates(
        self,
        kind,
        query,
        *,
        dense_k,
        lexical_k,
        audiences=None,
        exclude=(),
        other_language_k=0,
        other_language_models=(),
    ) -> list[Candidate]:
        stats = self.lexical_stats(kind)
        scored = self._scored(self._keys(kind, audiences, exclude), query, stats)
        chosen: set[int] = set()
        for model in query.vectors:
            having = [c for c in scored if model in c.dense]
            having.sort(key=lambda c: (-c.dense[model], c.id))
            chosen.update(c.id for c in having[:dense_k])
            if model in other_language_models:
                chosen.update(c.id for c in [c for c in having if c.language != query.language][:other_language_k])
        lexical = sorted((c for c in scored if c.bm25 > 0), key=lambda c: (-c.bm25, c.id))
        chosen.update(c.id for c in lexical[:lexical_k])
        return [c for c in scored if c.id in chosen]

    def all_scored(self, kind, query, *, audiences=None, exclude=()) -> list[Candidate]:
        """Every record scored: the whole-corpus ranking that two-stage retrieval approximates."""
        return self._scored(self._keys(kind, audiences, exclude), query, self.lexical_stats(kind))

    def score(self, kind, query, ids) -> list[Candidate]:
        keys = [(kind, i) for i in ids if (kind, i) in self._entries]
        return self._scored(keys, query, self.lexical_stats(kind))

    def entry(self, kind, id):
        return self._entries.get((kind, id))

    def ids(self, kind) -> set[int]:
        return {key[1] for key in self._entries if key[0] == kind}
