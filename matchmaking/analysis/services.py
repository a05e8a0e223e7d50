"""Writes of need analysis: the learned version (a worker's job) and each need's stored analysis."""

import hashlib
import logging
import time

from django.core.cache import cache
from django.db import transaction

from ..models import NeedAnalysis
from .analyse import analyse
from .learned import build_from_platform, current, forget_cached
from .serializers import MAX_ANALYSED_CHARS

logger = logging.getLogger(__name__)


def may_analyse_now(user) -> bool:
    """One analysis more for this user within THROTTLE_ANALYSIS (default 60 a minute), counted
    together for the API and the web form: each costs about a second of CPU."""
    from django.conf import settings

    from core.ratelimit import hit

    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["analysis"]
    count, _, period = rate.partition("/")
    window = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[:1]]
    return hit("need-analysis", str(user.pk), limit=int(count), window=window)


def need_text_hash(need, version: str) -> str:
    given = f"{need.budget_min is not None or need.budget_max is not None}{need.deadline is not None}"
    text = "\n".join([need.title, need.description, need.language, given, version])
    return hashlib.sha256(text.encode()).hexdigest()


def stale_needs(needs) -> list:
    """Those of `needs` whose stored analysis is missing or was made from another text or learned
    version (one query): the rest need no model at all."""
    version = current().version
    stored = dict(NeedAnalysis.objects.filter(need__in=needs).values_list("need_id", "text_hash"))
    return [need for need in needs if stored.get(need.pk) != need_text_hash(need, version)]


def stored_analysis(need, user) -> tuple[dict | None, bool]:
    """The need's stored analysis as `user` may read it (None while there is none) and whether it
    is being refreshed: a missing or stale one is queued for the worker."""
    from ..queue import enqueue
    from ..tasks import analyse_needs
    from .analyse import localise

    stored = NeedAnalysis.objects.filter(need=need).first()
    stale = stored is None or stored.text_hash != need_text_hash(need, current().version)
    if stale and cache.add(f"need-analysis-queued:{need.pk}", 1, timeout=60):
        # once a minute at most: a page that refreshes itself every few seconds does not pile tasks
        enqueue(analyse_needs, need_ids=[need.pk])
    return (localise(stored.result, user) if stored else None), stale


def screening(result: dict | None) -> dict | None:
    """What the challenge committee reads from a need's analysis: how many of its technical points
    the platform covers, and whether that argues for a 揭榜挂帅 challenge (a point nothing covers
    well) or for introducing the matched achievements instead (every point well covered)."""
    if not result:
        return None
    points = result.get("points") or []
    counts = {verdict: sum(1 for p in points if p.get("coverage") == verdict) for verdict in ("strong", "some", "none")}
    if not points or any(p.get("coverage") == "unknown" for p in points):
        advice = "unknown"
    elif counts["strong"] == len(points):
        advice = "covered"
    else:
        advice = "challenge"
    return {"points": points, "counts": counts, "advice": advice}


def analyse_stored_need(*, need, encoders=None) -> NeedAnalysis | None:
    """Store the need's analysis for brokers and the committee, computed as the committee sees the
    platform (public needs only: an organiser must not read figures drawn from brokers-only needs).
    Skipped while the text and the learned version are unchanged; idempotent."""
    from accounts.models import Role, User

    learned = current()
    digest = need_text_hash(need, learned.version)
    existing = NeedAnalysis.objects.filter(need=need).first()
    if existing is not None and existing.text_hash == digest:
        return existing
    reader = User(role=Role.ORGANISER)  # unsaved: only the visibility rules of the role matter
    result = analyse(
        title=need.title,
        description=need.description[:MAX_ANALYSED_CHARS],
        user=reader,
        language=need.language,
        budget_given=need.budget_min is not None or need.budget_max is not None,
        deadline_given=need.deadline is not None,
        exclude_need=need.pk,
        encoders=encoders,
        learned=learned,
        # contracts are visible to few: a stored analysis that many read takes its budget range
        # from similar needs only
        with_contracts=False,
    )
    with transaction.atomic():
        stored, _ = NeedAnalysis.objects.update_or_create(
            need=need, defaults={"result": result, "text_hash": digest, "model_version": learned.version}
        )
    return stored


REBUILD_LOCK = "matchmaking:analysis-rebuild"


def rebuild_learned():
    """A new learned version from the platform's records; this process reads it at once. A
    rebuild already running elsewhere is waited for, not repeated (each reads every record)."""
    from ..models import AnalysisModel

    if not cache.add(REBUILD_LOCK, 1, timeout=30 * 60):
        for _ in range(600):  # the other rebuild stores its version; use it
            time.sleep(1)
            if cache.get(REBUILD_LOCK) is None:
                break
        newest = AnalysisModel.objects.first()
        if newest is not None:
            forget_cached()
            return newest
    try:
        stored = build_from_platform()
    finally:
        cache.delete(REBUILD_LOCK)
    forget_cached()
    logger.info(
        "need analysis: built %s from %s records (%s with keywords)",
        stored.version,
        stored.records,
        stored.keyword_records,
    )
    return stored
