from celery import shared_task


@shared_task(name="notifications.purge_old", acks_late=True)
def purge_old() -> int:
    """Daily: notifications past their keeping time are deleted (safe to run twice)."""
    from .services import purge_old as purge

    return purge()
