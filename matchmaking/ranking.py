"""Rankers over the database: records from rows, a per-process cache of the corpus index,
and the active fusion weights."""

import threading

from django.conf import settings
from django.db.models import Max

from achievements.models import Achievement, AchievementStatus, Expert
from enterprises.models import TechnologyNeed

from .embeddings import load_spaces
from .encoders import get_encoders
from .engine import Ranker, Record, Weights
from .models import Embedding, RankingModel, RecordKind
from .structured import StructuredScorer

_cache: dict = {}
_lock = threading.Lock()


def active_weights() -> Weights:
    model = RankingModel.objects.filter(is_active=True).first()
    if model is None:
        return Weights()
    return Weights(
        **{k: float(v) for k, v in model.weights.items() if k in Weights.__dataclass_fields__}, version=model.version
    )


def algorithm_version(weights: Weights) -> str:
    models = "+".join(e.name.rstrip("/").rsplit("/", 1)[-1] for e in get_encoders())
    return f"hybrid-1/{weights.version}/{models}"[:60]


def achievement_record(a: Achievement) -> Record:
    prices = a.asking_price_min
    return Record(
        id=a.pk,
        title=a.title,
        keywords=a.keywords,
        body=a.abstract,
        language=a.language,
        owner=a.institution_id,
        attrs={
            "field": a.field.code,
            "trl": a.trl,
            "modes": {m.code for m in a.transfer_modes.all()},
            "price_min": None if prices is None else float(prices),
            "district": a.institution.district.code if a.institution.district_id else None,
        },
    )


def need_record(n: TechnologyNeed) -> Record:
    return Record(
        id=n.pk,
        title=n.title,
        keywords=n.keywords,
        body=n.description,
        language=n.language,
        attrs={
            "field": n.field.code,
            "required_trl": n.required_trl,
            "modes": {m.code for m in n.cooperation_modes.all()},
            "budget_max": None if n.budget_max is None else float(n.budget_max),
            "district": n.region.code if n.region_id else None,
        },
    )


def expert_record(e: Expert) -> Record:
    return Record(id=e.pk, title=e.title, body=e.expertise, language=e.language, owner=e.pk)


def published_achievements():
    return (
        Achievement.objects.filter(status=AchievementStatus.PUBLISHED)
        .select_related("field", "institution__district")
        .prefetch_related("transfer_modes")
        .order_by("pk")
    )


def _signature(queryset, kind: str, model_names: list[str]) -> tuple:
    stats = queryset.aggregate(count=Max("pk"), changed=Max("updated_at"))
    embedded = Embedding.objects.filter(kind=kind, model_name__in=model_names).aggregate(changed=Max("updated_at"))
    return queryset.count(), stats["count"], stats["changed"], embedded["changed"]


def _cached_ranker(name: str, queryset, kind: str, to_record, **options) -> Ranker:
    """A ranker over `queryset`, rebuilt only when its rows or their vectors change."""
    names = [e.name for e in get_encoders()]
    weights = active_weights()
    key = (name, tuple(names), weights, _signature(queryset, kind, names))
    with _lock:
        cached = _cache.get(name)
        if cached and cached[0] == key:
            return cached[1]
    records = [to_record(row) for row in queryset]
    if options.pop("structured", False):
        options["structured_fn"] = StructuredScorer(records)
    ranker = Ranker(records, vectors=load_spaces(kind, [r.id for r in records]), weights=weights, **options)
    with _lock:
        _cache[name] = (key, ranker)
    return ranker


def achievement_ranker() -> Ranker:
    """The ranker over published achievements."""
    return _cached_ranker(
        "achievements", published_achievements(), RecordKind.ACHIEVEMENT, achievement_record, structured=True
    )


def expert_ranker() -> Ranker:
    """Experts ranked from their profile text; their achievements add evidence (see services)."""
    return _cached_ranker("experts", Expert.objects.order_by("pk"), RecordKind.EXPERT, expert_record)


def need_vectors(needs: list[TechnologyNeed]) -> dict:
    return {name: matrix for name, matrix, _ in load_spaces(RecordKind.NEED, [n.pk for n in needs])}


def top_k() -> int:
    return settings.MATCH_TOP_K
