"""Long jobs started from a page (spreadsheet import, full re-match): a Celery task does the
work and records its progress in the cache, where the page polls it. A job belongs to the user
who started it; nobody else can read its state."""

import uuid

from django.core.cache import cache

TTL = 24 * 3600


def _key(job_id: str) -> str:
    return f"jobs:{job_id}"


def create(*, kind: str, owner) -> str:
    job_id = uuid.uuid4().hex
    cache.set(
        _key(job_id), {"id": job_id, "kind": kind, "owner": owner.pk, "state": "queued", "done": 0, "total": 0}, TTL
    )
    return job_id


def update(job_id: str, **changes) -> dict:
    state = cache.get(_key(job_id)) or {"id": job_id}
    state.update(changes)
    cache.set(_key(job_id), state, TTL)
    return state


def get(job_id: str, *, user) -> dict | None:
    """The job's state if `user` started it (platform admins see every job)."""
    state = cache.get(_key(job_id))
    if state is None or not (state.get("owner") == user.pk or user.is_platform_admin):
        return None
    return state
