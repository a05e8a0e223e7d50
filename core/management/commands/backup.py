"""Back up everything the platform holds into one .tar.gz: the database as XML (every app,
natural keys where Django has them), the uploaded files, and a manifest of row counts that
`restore` checks. Works the same on SQLite and PostgreSQL (for large PostgreSQL installations,
pg_dump is faster; see the README)."""

import io
import json
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

EXCLUDED = ["contenttypes", "auth.permission", "sessions", "core.idempotencyrecord"]


def row_counts() -> dict:
    excluded_models = {e for e in EXCLUDED if "." in e}
    excluded_apps = {e for e in EXCLUDED if "." not in e}
    counts = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in excluded_apps or label in excluded_models or model._meta.proxy:
            continue
        counts[label] = model.objects.count()
    return counts


class Command(BaseCommand):
    help = "Back up the database and uploaded files into one .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=None, help="file to write (default: backups/techbridge-<time>.tar.gz)")

    def handle(self, *args, **options):
        out = Path(options["out"] or f"backups/techbridge-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        out.parent.mkdir(parents=True, exist_ok=True)
        data = io.StringIO()
        # XML keeps datetimes to the microsecond (Django's JSON encoder rounds them to milliseconds).
        call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, format="xml", stdout=data)
        manifest = {"created_at": timezone.now().isoformat(), "counts": row_counts()}
        with tarfile.open(out, "w:gz") as archive:
            for name, text in (("data.xml", data.getvalue()), ("manifest.json", json.dumps(manifest, indent=2))):
                blob = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(blob)
                archive.addfile(info, io.BytesIO(blob))
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                archive.add(media, arcname="media")
        rows = sum(manifest["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Backed up {rows} rows and the uploaded files to {out}"))
