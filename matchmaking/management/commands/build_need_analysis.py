"""Learn need analysis from the platform's records now (the daily task does it too)."""

from django.core.management.base import BaseCommand

from matchmaking.analysis.services import rebuild_learned


class Command(BaseCommand):
    help = "Learn need analysis (fields, key terms) from the published achievements and needs."

    def handle(self, *args, **options):
        stored = rebuild_learned()
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {stored.version} from {stored.records} records ({stored.keyword_records} with keywords)."
            )
        )
