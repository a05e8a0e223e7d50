"""The transactional outbox: every task is first written as a row in the caller's transaction,
then sent to the broker after the commit. If the broker (Redis) is down, the row stays and the
relay (`manage.py relay_outbox`, the `core.relay_outbox` beat task, or the next successful send)
delivers it when the broker is back. Sending twice is harmless: tasks are idempotent.

With no broker configured (the embedded default) tasks run in-process after the commit, as before."""

import logging

from django.db import transaction

from .models import OutboxMessage

logger = logging.getLogger(__name__)
BATCH = 200


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def enqueue(task, **kwargs) -> None:
    if _eager():
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
