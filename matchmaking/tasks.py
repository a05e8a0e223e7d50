"""Celery tasks: thin, keyword arguments only, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from .models import RecordKind
from .queue import enqueue

RETRY = {
    "autoretry_for": (OperationalError, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="matchmaking.embed_records", **RETRY)
def embed_records(*, kind: str, ids: list[int]) -> int:
    from . import embeddings, indexing, services

    indexing.unindex_unpublished(kind=kind, ids=ids)  # before loading any model
    encoded = embeddings.embed_records(kind=kind, ids=ids)
    indexing.index_records(kind=kind, ids=ids)
    if kind == RecordKind.NEED:
        enqueue(rematch_needs, need_ids=ids)
    elif kind == RecordKind.ACHIEVEMENT:
        enqueue(refresh_for_achievements, achievement_ids=ids)
    else:
        enqueue(refresh_experts)
    services.drop_unpublished_suggestions()
    return encoded


@shared_task(name="matchmaking.rematch_needs", **RETRY)
def rematch_needs(*, need_ids: list[int]) -> int:
    from . import services

    ranked = services.rematch_needs(need_ids)
    services.suggest_experts(need_ids)
    return ranked


@shared_task(name="matchmaking.refresh_for_achievements", **RETRY)
def refresh_for_achievements(*, achievement_ids: list[int]) -> int:
    from . import services

    services.drop_unpublished_suggestions()
    affected = services.needs_affected_by_achievements(achievement_ids)
    if affected:
        return rematch_needs(need_ids=affected)
    return 0


@shared_task(name="matchmaking.refresh_experts", **RETRY)
def refresh_experts() -> int:
    from enterprises.models import NeedStatus, TechnologyNeed

    from . import services

    return services.suggest_experts(
        TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True)
    )


@shared_task(name="matchmaking.learn_weights", acks_late=True)
def learn_weights() -> bool:
    """Weekly: re-fit the fusion weights from broker decisions; re-rank if adopted."""
    from enterprises.models import NeedStatus, TechnologyNeed

    from .learning import learn_weights as learn

    result = learn()
    if result.adopted:
        ids = list(TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True))
        enqueue(rematch_needs, need_ids=ids)
    return result.adopted
