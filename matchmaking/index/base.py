"""What every index backend stores and answers, and the lexical scoring they share.

An index holds records of several kinds (achievement, need, expert). Each entry carries what
retrieval and re-ranking need, so that ranking never has to go back to the database:
its weighted tokens, its vectors under each configured model, its language, owner, structured
attributes, and the flags that pre-filter candidates (only published records are stored; an
`audience` restricts who may see it, e.g. brokers-only needs).

Backends must give the same answers for the same entries: both compute BM25 with
`bm25_scores` from the same `LexicalStats`, and cosine from the stored unit vectors."""

import contextlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

K1 = 1.2
B = 0.75
# Query terms used to find lexical candidates: the most informative ones suffice, and common
# terms (in more than this share of the corpus) would only add cost, not candidates.
MAX_QUERY_TERMS = 32
COMMON_TERM_SHARE = 0.2


@dataclass
class IndexEntry:
    kind: str
    id: int
    tokens: list[str]  # weighted document tokens (title and keywords repeated), see text.weighted_document
    vectors: dict[str, np.ndarray]  # model name -> unit vector
    language: str = "zh-hans"
    owner: int | None = None
    audience: str = "public"  # "public" or "brokers"
    attrs: dict = field(default_factory=dict)


@dataclass
class Query:
    tokens: list[str]  # query tokens (repeats count as query term frequency)
    vectors: dict[str, np.ndarray]  # model name -> unit query vector; a missing model is not used
    language: str = "zh-hans"
    attrs: dict = field(default_factory=dict)


@dataclass
class Candidate:
    """A stored record as seen by one query: the raw signals the fusion needs."""

    id: int
    dense: dict[str, float]  # model name -> cosine with the query
    bm25: float  # BM25 of the query against this record, with the index's LexicalStats
    shared_terms: list[str]  # query terms found in the record, most informative first
    language: str
    owner: int | None
    attrs: dict


@dataclass(frozen=True)
class LexicalStats:
    """Corpus statistics for BM25 (documents, average length, document frequency per term)."""

    documents: int
    average_length: float
    df: dict[str, int]

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.documents - df + 0.5) / (df + 0.5))


def query_terms(tokens: Sequence[str], stats: LexicalStats, limit: int = MAX_QUERY_TERMS) -> dict[str, int]:
    """The query's terms that exist in the corpus, most informative first, with their counts."""
    df = stats.df
    counts = Counter(tokens)  # one df lookup per distinct token, not per occurrence
    known = {t: f for t in counts if (f := df.get(t))}
    ranked = sorted(known, key=lambda t: (known[t], t))
    return {t: counts[t] for t in ranked[:limit]}


def bm25_scores(
    terms: dict[str, int], documents: Iterable[tuple[Counter, int]], stats: LexicalStats
) -> list[tuple[float, list[str]]]:
    """BM25 of the query `terms` (term -> query count) against each (term counts, length)
    document, with the terms each one shares, most informative first. The reference
    implementation: a backend that computes it otherwise must agree with it (tested)."""
    average = stats.average_length or 1.0
    weights = {t: stats.idf(t) for t in terms}
    results = []
    for counts, length in documents:
        norm = K1 * (1 - B + B * length / average)
        score, shared = 0.0, []
        for term, query_count in terms.items():
            tf = counts.get(term, 0)
            if tf:
                score += query_count * weights[term] * tf * (K1 + 1) / (tf + norm)
                shared.append(term)
        shared.sort(key=lambda t: (-weights[t], t))
        results.append((score, shared))
    return results


def bm25_ceiling(terms: dict[str, int], stats: LexicalStats) -> float:
    """The highest BM25 any document could reach for these terms (each tf -> infinity): a
    per-query scale that makes lexical scores comparable across queries."""
    return sum(count * stats.idf(t) * (K1 + 1) for t, count in terms.items())


class MatchingIndex:
    """The interface every backend implements."""

    @classmethod
    def from_settings(cls) -> "MatchingIndex":
        raise NotImplementedError

    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Add or replace these entries (same kind and id = the same record)."""
        raise NotImplementedError

    def delete(self, kind: str, ids: Iterable[int]) -> None:
        """Remove these records; unknown ids are ignored."""
        raise NotImplementedError

    @contextlib.contextmanager
    def bulk_load(self, kind: str, count: int):
        """About `count` records of one kind are about to be upserted in batches (embed_all): a
        backend may prepare for it (the postgres one builds its graphs once, after the last
        batch). Reads stay right meanwhile."""
        yield

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
        """The union of the dense top `dense_k` (per model in `query.vectors`) and the lexical
        top `lexical_k`, restricted to `audiences` (None: every audience) and without
        `exclude`, each scored on every signal. Under each of `other_language_models`, also the
        dense top `other_language_k` of the records in another language than `query.language`
        (those the fusion may rank across languages, found behind same-language neighbours)."""
        raise NotImplementedError

    def score(self, kind: str, query: Query, ids: Iterable[int]) -> list[Candidate]:
        """The named records (those stored) scored against the query, as `candidates` would."""
        raise NotImplementedError

    def lexical_stats(self, kind: str, terms: Iterable[str] | None = None) -> LexicalStats:
        """The active corpus statistics for BM25 of this kind. With `terms`, the document
        frequencies of those terms are enough (a backend may leave the others out: a query's
        BM25 needs no more), so a backend that stores them in a table reads only those rows."""
        raise NotImplementedError

    def entry(self, kind: str, id: int) -> IndexEntry | None:
        """A stored entry (to use a record as a query), or None."""
        raise NotImplementedError

    def ids(self, kind: str) -> set[int]:
        raise NotImplementedError

    def count(self, kind: str) -> int:
        return len(self.ids(kind))

    def close(self) -> None:
        """Release files and connections."""
