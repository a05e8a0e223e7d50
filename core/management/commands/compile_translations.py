"""Compiles locale/*/LC_MESSAGES/django.po to .mo with polib, so that set-up needs no
system gettext (msgfmt). Equivalent to `compilemessages` for this project's catalogues."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po -> .mo)."

    def handle(self, *args, **options):
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                try:
                    catalogue = polib.pofile(str(po_path))
                except OSError as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
                self.stdout.write(f"compiled {po_path} ({catalogue.percent_translated()}% translated)")
        if not compiled:
            raise CommandError("No translation catalogues found.")
