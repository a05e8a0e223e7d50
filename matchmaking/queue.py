"""The one place tasks are sent: through the transactional outbox (core/outbox.py), after the
current transaction commits, so a worker never looks for a row that is not committed yet and no
work is lost while the broker is down."""

from core.outbox import enqueue

__all__ = ["enqueue"]
