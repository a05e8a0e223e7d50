"""Spreadsheet import as a Celery job: the page uploads, the worker imports, the page shows
progress and then the result (or every bad row)."""

from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.utils import translation

from core import jobs

from .models import Institution


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_import(*, upload, institution: Institution, actor, on_duplicate: str) -> str:
    """Keep the upload where the worker can read it and queue the import."""
    from matchmaking.queue import enqueue

    from .tasks import import_achievements

    job_id = jobs.create(kind="import", owner=actor)
    suffix = Path(upload.name or "").suffix.lower()[:5]
    path = _upload_dir() / f"{job_id}{suffix}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    jobs.update(job_id, file=Path(upload.name or "").name, total=1)
    enqueue(
        import_achievements,
        job_id=job_id,
        path=str(path),
        institution_id=institution.pk,
        actor_id=actor.pk,
        on_duplicate=on_duplicate,
    )
    return job_id


def run_import(*, job_id: str, path: str, institution_id: int, actor_id: int, on_duplicate: str) -> dict:
    from accounts.models import User
    from core.api.errors import ImportRejected

    from .importing import import_achievements

    actor = User.objects.get(pk=actor_id)
    jobs.update(job_id, state="running")
    source = Path(path)
    if not source.exists():  # a re-delivered task after a finished run: nothing left to do
        return jobs.update(job_id)
    try:
        with translation.override(actor.language or settings.LANGUAGE_CODE), open(source, "rb") as handle:
            upload = File(handle, name=source.name)
            upload.size = source.stat().st_size
            try:
                result = import_achievements(
                    upload=upload,
                    institution=Institution.objects.get(pk=institution_id),
                    actor=actor,
                    on_duplicate=on_duplicate,
                )
            except ImportRejected as exc:
                return jobs.update(job_id, state="failed", error=str(exc.detail), rows=exc.rows)
        return jobs.update(job_id, state="done", done=1, created=result.created, skipped=result.skipped)
    finally:
        source.unlink(missing_ok=True)
