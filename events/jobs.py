"""Long jobs started from the organiser's page: their state lives in the cache so the page
can show it while a Celery worker runs them."""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import MatchmakingEvent

TTL = 24 * 3600


def _key(event_id: int) -> str:
    return f"events:schedule-job:{event_id}"


def job_state(event_id: int) -> dict:
    return cache.get(_key(event_id)) or {"state": "idle"}


def start_schedule(event: MatchmakingEvent) -> dict:
    from matchmaking.queue import enqueue

    from .tasks import schedule_event

    state = {"state": "queued"}
    cache.set(_key(event.pk), state, TTL)
    enqueue(schedule_event, event_id=event.pk)
    return state


def run_schedule(event_id: int) -> dict:
    from . import services

    event = MatchmakingEvent.objects.filter(pk=event_id).first()
    if event is None:
        return {"state": "failed", "error": _("The event no longer exists.")}
    cache.set(_key(event_id), {"state": "running"}, TTL)
    try:
        summary = services.schedule_event(event=event)
    except ValidationError as exc:
        state = {"state": "failed", "error": " ".join(exc.messages)}
    except Exception:
        # the page must not say "running" for a day; the task's failure is recorded as usual
        cache.set(_key(event_id), {"state": "failed", "error": _("The scheduler failed; try again.")}, TTL)
        raise
    else:
        state = {"state": "done", **summary.__dict__}
    cache.set(_key(event_id), state, TTL)
    return state


def start_plan(programme, *, actor, language: str) -> str:
    """Plan a programme's year in a worker; the job page shows progress, then the advice."""
    from django.urls import reverse

    from core import jobs as core_jobs
    from matchmaking.queue import enqueue

    from .tasks import plan_programme

    running = cache.get(_plan_key(programme.pk))
    if running:  # one planning job per programme at a time: asking again follows the one under way
        state = core_jobs.get(running, user=actor)
        if state is not None and state.get("state") in ("queued", "running"):
            return running
    job_id = core_jobs.create(kind="plan", owner=actor)
    next_url = reverse("organiser-programme", args=[programme.pk]) + f"?job={job_id}"
    core_jobs.update(job_id, programme=programme.pk, total=1, next_url=next_url)
    cache.set(_plan_key(programme.pk), job_id, PLAN_LOCK_TTL)
    enqueue(plan_programme, job_id=job_id, programme_id=programme.pk, language=language)
    return job_id


PLAN_LOCK_TTL = 15 * 60  # longer than the task's hard time limit: a lost job frees the programme after it


def _plan_key(programme_id: int) -> str:
    return f"events:plan-job:{programme_id}"


def run_plan(*, job_id: str, programme_id: int, language: str) -> dict:
    from django.utils import translation

    from core import jobs as core_jobs

    from . import services
    from .models import Programme

    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        return core_jobs.update(job_id, state="failed", error=_("The programme no longer exists."))
    core_jobs.update(job_id, state="running")
    with translation.override(language):
        try:
            summary = services.plan_programme(programme=programme)
        except ValidationError as exc:
            return core_jobs.update(job_id, state="failed", error=" ".join(exc.messages))
        except Exception:
            core_jobs.update(job_id, state="failed", error=_("Planning failed; try again."))
            raise
        finally:
            if cache.get(_plan_key(programme_id)) == job_id:
                cache.delete(_plan_key(programme_id))
    return core_jobs.update(
        job_id, state="done", done=1, created=summary.created, wanted=summary.wanted, advice=summary.advice
    )
