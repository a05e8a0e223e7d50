"""Celery tasks: thin, keyword arguments only, safe to run twice."""

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError

from .models import RecordKind
from .queue import enqueue

ANALYSE_ON_CHANGE_MAX = 50
ANALYSIS_BATCH = 50  # about a second each: well inside a task's time limit
# While a refit of the language centres is queued, embedding more records does not queue another.
REFIT_QUEUED = "matchmaking:refit-language-centres"
REFIT_QUEUED_SECONDS = 15 * 60
REFIT_RUNNING = "matchmaking:refitting-language-centres"
REMATCH_BATCH = 200  # needs per re-ranking task after a re-centring: well inside a task's time limit
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
    if indexing.refit_due() and cache.add(REFIT_QUEUED, True, timeout=REFIT_QUEUED_SECONDS):
        enqueue(refit_language_centres)
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
    # An edit refreshes its need's analysis at once; bulk re-ranking (imports, the demo, a new
    # model) leaves it to the daily rebuild or to the first reader (NeedAnalysisView).
    if len(need_ids) <= ANALYSE_ON_CHANGE_MAX:
        from enterprises.models import NeedStatus, TechnologyNeed

        published = list(
            TechnologyNeed.objects.filter(pk__in=need_ids, status=NeedStatus.PUBLISHED).values_list("pk", flat=True)
        )
        if published:
            enqueue(analyse_needs, need_ids=published)
    return ranked


@shared_task(name="matchmaking.analyse_needs", **RETRY)
def analyse_needs(*, need_ids: list[int]) -> int:
    """Store each need's analysis (需求解构); unchanged ones are skipped."""
    from enterprises.models import TechnologyNeed

    from .analysis import services
    from .encoders import get_encoders
    from .models import AnalysisModel

    # after a re-ranking most needs' analyses are current: checking that loads no model
    needs = list(TechnologyNeed.objects.filter(pk__in=need_ids))
    if not services.stale_needs(needs):
        return 0
    if not AnalysisModel.objects.exists():
        services.rebuild_learned()  # a new learned version: which needs are stale is asked again
    encoders = get_encoders()
    return sum(1 for need in services.stale_needs(needs) if services.analyse_stored_need(need=need, encoders=encoders))


@shared_task(name="matchmaking.rebuild_need_analysis", acks_late=True)
def rebuild_need_analysis() -> str:
    """Daily: learn need analysis again from the platform's records, then refresh the stored analyses."""
    from enterprises.models import NeedStatus, TechnologyNeed

    from .analysis import services

    stored = services.rebuild_learned()
    ids = list(TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True))
    for start in range(0, len(ids), ANALYSIS_BATCH):
        enqueue(analyse_needs, need_ids=ids[start : start + ANALYSIS_BATCH])
    return stored.version


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


@shared_task(name="matchmaking.refit_language_centres", acks_late=True)
def refit_language_centres() -> bool:
    """Daily, and when the corpus has doubled: fit each language's mean vector again
    (centring.py); when a new version is adopted, or a re-centring pass died, (re)start the pass
    that re-writes every index entry. Returns whether a pass was started."""
    from . import indexing

    if not cache.add(REFIT_RUNNING, True, timeout=REFIT_QUEUED_SECONDS):
        return False  # another worker is fitting: one adoption, not two
    try:
        pending = indexing.pending_recentring()
        if pending is None and indexing.refit_centres():
            pending = indexing.pending_recentring()
    finally:
        cache.delete(REFIT_RUNNING)
        cache.delete(REFIT_QUEUED)
    if pending:
        enqueue(recentre_index, version=pending)
    return pending is not None


@shared_task(name="matchmaking.recentre_index", **RETRY)
def recentre_index(*, version: str, kind: str = RecordKind.ACHIEVEMENT.value, after: int = 0) -> str:
    """One chunk of index entries re-written with the centres `version`, then the next chunk
    queued; after the last, every published need is re-ranked in batches."""
    from enterprises.models import NeedStatus, TechnologyNeed

    from . import indexing

    step = indexing.recentre_step(version, kind, after)
    if isinstance(step, tuple):
        enqueue(recentre_index, version=version, kind=step[0], after=step[1])
    elif step == "done":
        ids = list(TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).values_list("pk", flat=True))
        for start in range(0, len(ids), REMATCH_BATCH):
            enqueue(rematch_needs, need_ids=ids[start : start + REMATCH_BATCH])
    return str(step)


@shared_task(name="matchmaking.rematch_all", acks_late=True, soft_time_limit=3600, time_limit=3660)
def rematch_all(*, job_id: str) -> dict:
    """The admin's full re-match (matchmaking/jobs.py), with progress on the job's page."""
    from .jobs import run_rematch_all

    return run_rematch_all(job_id=job_id)


@shared_task(name="core.rematch_all", acks_late=True, soft_time_limit=3600, time_limit=3660)
def rematch_all_queued_under_the_old_name(**kwargs) -> dict:
    """Re-matches queued before the task moved here (outbox rows keep the name they were queued by)."""
    return rematch_all(**kwargs)
