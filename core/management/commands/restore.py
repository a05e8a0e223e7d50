"""Restore a backup made by `backup` into an empty, migrated database (all or nothing), put the
uploaded files back, and check every table's row count against the backup's manifest."""

import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from .backup import row_counts


class Command(BaseCommand):
    help = "Restore a backup (.tar.gz from `manage.py backup`) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, **options):
        archive_path = Path(options["archive"])
        if not archive_path.is_file():
            raise CommandError(f"No such backup: {archive_path}")
        if get_user_model().objects.exists():
            raise CommandError("The database is not empty: restore into a fresh, migrated database.")
        with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(scratch, filter="data")
            scratch = Path(scratch)
            manifest = json.loads((scratch / "manifest.json").read_text())
            with transaction.atomic():
                # The migrations' reference data is in the backup too: start from empty tables.
                from core.models import District, TechnicalField, TransferMode

                for model in (TechnicalField, District, TransferMode):
                    model.objects.all().delete()
                call_command("loaddata", str(scratch / "data.xml"), verbosity=0)
                counts = row_counts()
                wrong = {k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v}
                if wrong:
                    raise CommandError(f"Row counts differ from the backup (expected, found): {wrong}")
            if (scratch / "media").exists():
                shutil.copytree(scratch / "media", settings.MEDIA_ROOT, dirs_exist_ok=True)
        total = sum(manifest["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Restored {total} rows from {archive_path}; every table checked."))
