"""Two-stage ranking, the one path for matches, search, experts, needs for an achievement and
evaluation: candidates from the stored index, then one fusion (fusion.py) over those only."""

from collections import Counter
from collections.abc import Iterable, Sequence

from django.conf import settings

from .encoders import specialists
from .fusion import (
    DEFAULT_MODEL,
    ENGINE,
    FEATURES,
    RAW_MODEL,
    FusionModel,
    Pair,
    score_candidates,
    score_pair_per_query,
)
from .index import MatchingIndex, Query, get_index
from .text import informative_terms


def fusion_model() -> FusionModel:
    """The active fusion: the adopted learned model, else the default fitted on the dev sets;
    the raw-cosine fusion while the index holds uncentred vectors (centring.py)."""
    from . import centring
    from .models import RankingModel

    if not centring.active().centred:
        return RAW_MODEL
    active = RankingModel.objects.filter(is_active=True).only("version", "weights").first()
    # a model learned over other features or another engine's signals (an older fusion) would be
    # read with the wrong columns or scale
    weights = (active.weights or {}) if active is not None else {}
    if set(weights.get("weights", {})) == set(FEATURES) and weights.get("engine") == ENGINE:
        return FusionModel.from_dict(active.weights, active.version)
    return DEFAULT_MODEL


def rank(
    kind: str,
    query: Query,
    *,
    top_k: int,
    audiences: Sequence[str] | None = None,
    exclude: Iterable[int] = (),
    index: MatchingIndex | None = None,
    model: FusionModel | None = None,
    models: dict | None = None,
) -> list[Pair]:
    """The top `top_k` records of `kind` for the query, best first, each with a calibrated score."""
    index = index or get_index()
    models = specialists() if models is None else models
    candidates = index.candidates(
        kind,
        searched(query, models),
        dense_k=max(settings.MATCHING_DENSE_CANDIDATES, top_k),
        lexical_k=max(settings.MATCHING_LEXICAL_CANDIDATES, top_k),
        audiences=audiences,
        exclude=exclude,
        **other_language(query, models),
    )
    pairs = score_candidates(
        query,
        candidates,
        index.lexical_stats(kind, query.tokens),
        models,
        model or fusion_model(),
    )
    return pairs[:top_k]


def other_language(query: Query, models: dict, k: int | None = None) -> dict:
    """The candidates' options for records in other languages: the multilingual models' best of
    them (an English specialist reads English pairs only, so it looks for none)."""
    return {
        "other_language_k": settings.MATCHING_OTHER_LANGUAGE_CANDIDATES if k is None else k,
        "other_language_models": [m for m in query.vectors if not models.get(m)],
    }


def searched(query: Query, models: dict) -> Query:
    """The query as the index searches it: an English specialist's vector only for an English
    query. The fusion reads a specialist's cosine for English-English pairs alone, so for any other
    query its search would only add candidates nothing scores by it (and cost a second search)."""
    if query.language == "en" or not any(models.get(m) for m in query.vectors):
        return query
    vectors = {m: v for m, v in query.vectors.items() if not models.get(m)}
    return Query(query.tokens, vectors, query.language, query.attrs)


def score_pairs(
    kind: str,
    query: Query,
    ids: Iterable[int],
    *,
    index: MatchingIndex | None = None,
    model: FusionModel | None = None,
) -> list[Pair]:
    """Named records scored against the query exactly as `rank` would score them."""
    index = index or get_index()
    candidates = index.score(kind, query, ids)
    stats = index.lexical_stats(kind, query.tokens)
    return score_candidates(query, candidates, stats, specialists(), model or fusion_model())


def score_entry_for_queries(
    kind: str,
    entry,
    queries: Sequence[Query],
    *,
    index: MatchingIndex | None = None,
    model: FusionModel | None = None,
) -> list[Pair]:
    """One stored record scored against many queries (an edited achievement against the needs
    it may enter), with the reference BM25 and cosines the backends also compute: the pair's
    score is the one `rank` gives it, without a corpus-wide pass per query."""
    import numpy as np

    from .index.base import Candidate, bm25_scores, query_terms

    index = index or get_index()
    stats = index.lexical_stats(kind, {t for q in queries for t in q.tokens})
    counts = Counter(entry.tokens)
    items = []
    for query in queries:
        terms = query_terms(query.tokens, stats)
        bm25, shared = bm25_scores(terms, [(counts, len(entry.tokens))], stats)[0]
        dense = {
            name: float(np.dot(np.asarray(vector, dtype=np.float64), np.asarray(entry.vectors[name], dtype=np.float64)))
            for name, vector in query.vectors.items()
            if name in entry.vectors
        }
        items.append((query, Candidate(entry.id, dense, bm25, shared, entry.language, entry.owner, entry.attrs), terms))
    return score_pair_per_query(items, stats, specialists(), model or fusion_model())


def shown_terms(pair: Pair, limit: int = 8) -> list[str]:
    """The shared terms a broker reads: informative words only, most informative first."""
    return informative_terms(pair.candidate.shared_terms, limit=limit)
