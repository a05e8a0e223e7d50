"""The one place tasks are sent: always after the current transaction commits (at once when
there is none), so a worker never looks for a row that is not committed yet."""

from django.db import transaction


def enqueue(task, **kwargs) -> None:
    transaction.on_commit(lambda: task.delay(**kwargs))
