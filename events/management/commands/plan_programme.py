"""Place a programme's events on the year's calendar (as draft events)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.models import Programme
from events.services import plan_programme


class Command(BaseCommand):
    help = "Plan a programme's year with the CP-SAT planner; prints what to relax when not everything fits."

    def add_arguments(self, parser):
        parser.add_argument("programme_id", type=int)
        parser.add_argument("--time-limit", type=float, default=25.0)

    def handle(self, *args, **options):
        programme = Programme.objects.filter(pk=options["programme_id"]).first()
        if programme is None:
            raise CommandError(f"No programme {options['programme_id']}.")
        try:
            summary = plan_programme(programme=programme, time_limit=options["time_limit"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{summary.created} of {summary.wanted} events placed.")
        for note in summary.advice:
            self.stdout.write(f"- {note}")
