"""Send the tasks the outbox holds to the broker; with --loop, keep doing so (a small sidecar
process for deployments without Celery beat, or to drain a backlog after a Redis outage)."""

import time

from django.core.management.base import BaseCommand

from core.outbox import pending, relay


class Command(BaseCommand):
    help = "Relay outbox messages to the broker (once, or in a loop with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, **options):
        while True:
            sent = relay()
            if sent or options["verbosity"] > 1:
                self.stdout.write(f"sent {sent}, {pending()} waiting")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
