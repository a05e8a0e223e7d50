"""Two-stage ranking, the one path for matches, search, experts, needs for an achievement and
evaluation: candidates from the stored index, then one fusion (fusion.py) over those only."""

from collections.abc import Iterable, Sequence

from django.conf import settings

from .encoders import specialists
from .fusion import DEFAULT_MODEL, FusionModel, Pair, score_candidates
from .index import MatchingIndex, Query, get_index
from .text import informative_terms


def fusion_model() -> FusionModel:
    """The active fusion: the adopted learned model, else the default fitted on the dev sets."""
    from .models import RankingModel

    active = RankingModel.objects.filter(is_active=True).only("version", "weights").first()
    if active is not None and "intercept" in (active.weights or {}):
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
    candidates = index.candidates(
        kind,
        query,
        dense_k=max(settings.MATCHING_DENSE_CANDIDATES, top_k),
        lexical_k=max(settings.MATCHING_LEXICAL_CANDIDATES, top_k),
        audiences=audiences,
        exclude=exclude,
    )
    pairs = score_candidates(
        query,
        candidates,
        index.lexical_stats(kind),
        specialists() if models is None else models,
        model or fusion_model(),
    )
    return pairs[:top_k]


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
    return score_candidates(query, candidates, index.lexical_stats(kind), specialists(), model or fusion_model())


def shown_terms(pair: Pair, limit: int = 8) -> list[str]:
    """The shared terms a broker reads: informative words only, most informative first."""
    return informative_terms(pair.candidate.shared_terms, limit=limit)
