"""The transactional outbox: every task is first written as a row in the caller's transaction,
then sent to the broker after the commit. If the broker (Redis) is down, the row stays and the
relay (`manage.py relay_outbox`, the `core.relay_outbox` beat task, or the next successful send)
delivers it when the broker is back. Sending twice is harmless: tasks are idempotent.

With no broker configured (the embedded default) tasks run in-process after the commit: in one
background thread (`INPROCESS_TASK_THREAD`, on by default), so that a web request never waits
for a model to load or a batch to embed; in the caller's thread when it is off (the tests)."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from .models import OutboxMessage

logger = logging.getLogger(__name__)
BATCH = 200


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


_background: ThreadPoolExecutor | None = None
_pending = 0
_idle = threading.Condition()


def _run_in_background(task, kwargs) -> None:
    global _background, _pending
    if _background is None:
        _background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inprocess-tasks")

    def run():  # already after the commit: _run_in_background is itself an on_commit callback
        global _pending
        close_old_connections()
        try:
            task.delay(**kwargs)
        except Exception:  # noqa: BLE001 - recorded like a worker's failure, never lost silently
            logger.exception("in-process task %s failed", task.name)
        finally:
            connection.close()
            with _idle:
                _pending -= 1
                _idle.notify_all()

    with _idle:
        _pending += 1
    try:
        _background.submit(run)
    except RuntimeError:  # the interpreter is shutting down: finish the work here rather than lose it
        run()


def wait_for_inprocess_tasks(timeout: float | None = None) -> bool:
    """Block until the background thread has run every queued task, including those the tasks
    queued themselves (a command that needs their results, e.g. seed_demo). True when idle."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout=timeout)


def enqueue(task, **kwargs) -> None:
    if _eager():
        if settings.INPROCESS_TASK_THREAD:
            transaction.on_commit(lambda: _run_in_background(task, kwargs))
        else:
            transaction.on_commit(lambda: task.delay(**kwargs))
        return
    message = OutboxMessage.objects.create(task=task.name, kwargs=kwargs)
    transaction.on_commit(lambda: relay(first=message.pk))


def _send(message: OutboxMessage) -> None:
    from config.celery import app

    # retry=False: with the broker down, fail at once and leave the row for the relay.
    app.send_task(message.task, kwargs=message.kwargs, retry=False)


def relay(*, first: int | None = None, limit: int = BATCH) -> int:
    """Send pending messages, oldest first (`first` before the rest). Stops at the first
    broker error; returns how many were sent."""
    sent = 0
    ids = [first] if first is not None else []
    ids += list(
        OutboxMessage.objects.exclude(pk=first).order_by("pk").values_list("pk", flat=True)[: max(limit - len(ids), 0)]
    )
    for message_id in ids:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
            if message is None:
                continue  # another relay has it, or it was sent already
            try:
                _send(message)
            except Exception as error:  # noqa: BLE001 - any broker failure leaves the row for later
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=message.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:1000]
                )
                logger.warning("broker unavailable, %s kept in the outbox: %s", message, error)
                return sent
            message.delete()
            sent += 1
    return sent


def pending() -> int:
    return OutboxMessage.objects.count()
