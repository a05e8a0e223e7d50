"""A full re-match as a Celery job with progress, started by a platform administrator."""

from core import jobs

BATCH = 50


def start_rematch_all(*, actor) -> str:
    from .queue import enqueue
    from .tasks import rematch_all

    job_id = jobs.create(kind="rematch", owner=actor)
    enqueue(rematch_all, job_id=job_id)
    return job_id


def run_rematch_all(*, job_id: str) -> dict:
    from enterprises.models import NeedStatus, TechnologyNeed

    from . import services

    services.drop_unpublished_suggestions()
    ids = list(TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).order_by("pk").values_list("pk", flat=True))
    jobs.update(job_id, state="running", total=len(ids), done=0)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        services.rematch_needs(chunk)
        services.suggest_experts(chunk)
        jobs.update(job_id, done=start + len(chunk))
    return jobs.update(job_id, state="done", done=len(ids))
