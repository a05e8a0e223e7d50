"""Called by the achievement / need / expert services when a record changes.

Changes made inside one transaction are collected and sent as one batch once it commits
(so a 10,000-row import queues a few bulk tasks, not 10,000), and nothing is sent if the
transaction rolls back."""

from django.conf import settings
from django.db import connection, transaction

CHUNK = 500


class _PendingBatch:
    def __init__(self):
        self.ids: dict[str, list[int]] = {}

    def add(self, kind: str, object_id: int) -> None:
        bucket = self.ids.setdefault(kind, [])
        if object_id not in bucket:
            bucket.append(object_id)

    def __call__(self) -> None:
        from .queue import enqueue
        from .tasks import embed_records

        for kind, ids in self.ids.items():
            for start in range(0, len(ids), CHUNK):
                enqueue(embed_records, kind=kind, ids=ids[start : start + CHUNK])


def _current_batch() -> _PendingBatch:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _PendingBatch):
            return callback
    batch = _PendingBatch()
    transaction.on_commit(batch)
    return batch


def records_changed(kind: str, ids) -> None:
    """Queue embedding (and then re-matching) of these records once the transaction commits."""
    if not settings.MATCHING_ON_SAVE:
        return
    if connection.in_atomic_block:
        batch = _current_batch()
        for object_id in ids:
            batch.add(kind, object_id)
    else:
        batch = _PendingBatch()
        for object_id in ids:
            batch.add(kind, object_id)
        transaction.on_commit(batch)
