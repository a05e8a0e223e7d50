from celery import shared_task


@shared_task(name="core.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    """Beat: send what the outbox still holds (work queued while the broker was down)."""
    from .outbox import relay

    return relay()
