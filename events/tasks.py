from celery import shared_task


@shared_task(name="events.send_due_reminders", acks_late=True)
def send_due_reminders() -> int:
    from .reminders import send_due_reminders as send

    return send()


@shared_task(
    name="events.schedule_event", acks_late=True, reject_on_worker_lost=True, soft_time_limit=120, time_limit=180
)
def schedule_event(*, event_id: int) -> dict:
    """Run the 1:1 scheduler for an event, recording progress for the organiser's page."""
    from .jobs import run_schedule

    return run_schedule(event_id)


@shared_task(
    name="events.plan_programme", acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=360
)
def plan_programme(*, job_id: str, programme_id: int, language: str = "zh-hans") -> dict:
    """Plan a programme's year as draft events, recording progress and advice for its page."""
    from .jobs import run_plan

    return run_plan(job_id=job_id, programme_id=programme_id, language=language)
