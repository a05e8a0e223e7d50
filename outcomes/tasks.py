from celery import shared_task


@shared_task(name="outcomes.daily_outcomes", acks_late=True)
def daily_outcomes() -> dict:
    """Close challenges past their date; remind licence parties before free use ends."""
    from .challenges import close_due_challenges
    from .contracts import licence_reminders

    return {"challenges_closed": close_due_challenges(), "licences_reminded": licence_reminders()}
