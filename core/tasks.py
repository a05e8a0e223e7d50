from celery import shared_task


@shared_task(name="core.import_achievements", acks_late=True, soft_time_limit=600, time_limit=660)
def import_achievements(*, job_id: str, path: str, institution_id: int, actor_id: int, on_duplicate: str) -> dict:
    from achievements.jobs import run_import

    return run_import(
        job_id=job_id, path=path, institution_id=institution_id, actor_id=actor_id, on_duplicate=on_duplicate
    )


@shared_task(name="core.rematch_all", acks_late=True, soft_time_limit=3600, time_limit=3660)
def rematch_all(*, job_id: str) -> dict:
    from matchmaking.jobs import run_rematch_all

    return run_rematch_all(job_id=job_id)


@shared_task(name="core.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    """Beat: send what the outbox still holds (work queued while the broker was down)."""
    from .outbox import relay

    return relay()
