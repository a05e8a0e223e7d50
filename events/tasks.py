from celery import shared_task


@shared_task(name="events.send_due_reminders", acks_late=True)
def send_due_reminders() -> int:
    from .reminders import send_due_reminders as send

    return send()
