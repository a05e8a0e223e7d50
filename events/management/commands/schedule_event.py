"""(Re-)schedule an event's 1:1 meetings."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.models import MatchmakingEvent
from events.services import schedule_event


class Command(BaseCommand):
    help = "Run the 1:1 meeting scheduler for one event; existing meetings stay unless moving gains enough."

    def add_arguments(self, parser):
        parser.add_argument("event_id", type=int)
        parser.add_argument("--time-limit", type=float, default=9.0)

    def handle(self, *args, **options):
        event = MatchmakingEvent.objects.filter(pk=options["event_id"]).first()
        if event is None:
            raise CommandError(f"No event {options['event_id']}.")
        try:
            s = schedule_event(event=event, time_limit=options["time_limit"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        proof = "proven optimal" if s.optimal else f"within {s.gap:.2%} of the bound {s.bound}"
        self.stdout.write(f"{s.meetings} meetings, value {s.objective} ({proof}), {s.moved} moved, {s.seconds} s.")
