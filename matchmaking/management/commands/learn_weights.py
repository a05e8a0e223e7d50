"""Re-fit the fusion weights from broker decisions; adopt them only if they rank held-out
decisions better, then re-rank every need with them."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from matchmaking.learning import MIN_LABELS, learn_weights


class Command(BaseCommand):
    help = "Learn fusion weights from broker decisions (adopted only when better on held-out needs)."

    def add_arguments(self, parser):
        parser.add_argument("--min-labels", type=int, default=MIN_LABELS)
        parser.add_argument("--no-rematch", action="store_true")
        parser.add_argument(
            "--dev-features",
            default=None,
            help="dumped dev-set pairs (make eval: var/features); default MATCHING_DEV_FEATURES_DIR",
        )

    def handle(self, *args, **options):
        result = learn_weights(min_labels=options["min_labels"], dev_features=options["dev_features"])
        self.stdout.write(f"labels: {result.labels}")
        self.stdout.write(f"current weights:  {result.current}  held-out AUC {result.current_auc}")
        if result.proposed:
            self.stdout.write(f"proposed weights: {result.proposed}  held-out AUC {result.proposed_auc}")
        self.stdout.write(f"{'ADOPTED as ' + result.version if result.adopted else 'not adopted'}: {result.reason}")
        if result.adopted and not options["no_rematch"]:
            call_command("rematch_all", verbosity=options["verbosity"])
