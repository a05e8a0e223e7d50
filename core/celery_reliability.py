"""Bounded work: a task that failed for good is recorded as a TaskFailure (visible in the admin),
and a message delivered too many times (it keeps killing its worker, so acks_late redelivers it)
is dropped and recorded instead of looping forever."""

import logging

from celery import Task
from celery.signals import task_failure
from django.core.cache import cache

logger = logging.getLogger(__name__)
MAX_DELIVERIES = 5


def record_failure(task_id: str, name: str, kwargs: dict, reason: str) -> None:
    from .models import TaskFailure

    try:
        TaskFailure.objects.create(task_id=task_id or "", task=name, kwargs=kwargs or {}, reason=reason[:5000])
    except Exception:  # noqa: BLE001 - recording must never mask the original failure
        logger.exception("could not record the failure of %s", name)


class BoundedTask(Task):
    def __call__(self, *args, **kwargs):
        task_id = getattr(self.request, "id", None)
        if task_id and not self.request.is_eager:
            key = f"deliveries:{task_id}"
            cache.add(key, 0, 7 * 24 * 3600)
            deliveries = cache.incr(key)
            if deliveries > MAX_DELIVERIES + (self.request.retries or 0):
                record_failure(task_id, self.name, kwargs, f"delivered {deliveries} times without finishing")
                logger.error("dropping %s[%s]: delivered %s times", self.name, task_id, deliveries)
                return None
        return super().__call__(*args, **kwargs)


@task_failure.connect
def _on_failure(sender=None, task_id=None, exception=None, kwargs=None, **extra):
    record_failure(task_id, getattr(sender, "name", str(sender)), kwargs, f"{type(exception).__name__}: {exception}")
