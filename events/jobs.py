"""Long jobs started from the organiser's page: their state lives in the cache so the page
can show it while a Celery worker runs them."""

from django.core.cache import cache
from django.core.exceptions import ValidationError

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
        return {"state": "failed", "error": "event not found"}
    cache.set(_key(event_id), {"state": "running"}, TTL)
    try:
        summary = services.schedule_event(event=event)
    except ValidationError as exc:
        state = {"state": "failed", "error": " ".join(exc.messages)}
    else:
        state = {"state": "done", **summary.__dict__}
    cache.set(_key(event_id), state, TTL)
    return state
