"""Celery tasks of the achievements app: thin, keyword arguments only."""

from celery import shared_task


@shared_task(name="achievements.import_achievements", acks_late=True, soft_time_limit=600, time_limit=660)
def import_achievements(*, job_id: str, path: str, institution_id: int, actor_id: int, on_duplicate: str) -> dict:
    """A spreadsheet upload started on the web, with progress on the job's page (achievements/jobs.py)."""
    from .jobs import run_import

    return run_import(
        job_id=job_id, path=path, institution_id=institution_id, actor_id=actor_id, on_duplicate=on_duplicate
    )


@shared_task(name="core.import_achievements", acks_late=True, soft_time_limit=600, time_limit=660)
def import_achievements_queued_under_the_old_name(**kwargs) -> dict:
    """Uploads queued before the task moved here (outbox rows keep the name they were queued by)."""
    return import_achievements(**kwargs)
