"""Re-rank every published need (matches and expert suggestions).

Resumable: needs already ranked by the current algorithm since the corpus last changed are
skipped (use --force to redo them). Safe to run twice: ranking is idempotent."""

from django.core.management.base import BaseCommand
from django.db.models import Max, Min
from tqdm import tqdm

from enterprises.models import NeedStatus, TechnologyNeed
from matchmaking import services
from matchmaking.models import Embedding, Match
from matchmaking.retrieval import fusion_model
from matchmaking.services import algorithm_version, published_achievements


class Command(BaseCommand):
    help = "Re-rank all published needs against the published achievements."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--force", action="store_true", help="also redo needs that are up to date")

    def handle(self, *args, **options):
        services.drop_unpublished_suggestions()
        version = algorithm_version(fusion_model())
        needs = TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).order_by("pk")
        ids = list(needs.values_list("pk", flat=True))
        if not options["force"]:
            ids = [pk for pk in ids if pk not in self._up_to_date(version)]
        with tqdm(total=len(ids), desc="rematch needs", unit="need", disable=options["verbosity"] == 0) as bar:
            for start in range(0, len(ids), options["batch_size"]):
                chunk = ids[start : start + options["batch_size"]]
                services.rematch_needs(chunk)
                services.suggest_experts(chunk)
                bar.update(len(chunk))
        self.stdout.write(f"{len(ids)} needs re-ranked ({version}).")

    @staticmethod
    def _up_to_date(version: str) -> set[int]:
        corpus_changed = max(
            filter(
                None,
                [
                    published_achievements().aggregate(t=Max("updated_at"))["t"],
                    Embedding.objects.aggregate(t=Max("updated_at"))["t"],
                ],
            ),
            default=None,
        )
        if corpus_changed is None:
            return set()
        rows = (
            Match.objects.filter(algorithm_version=version, rank__isnull=False)
            .values("need_id")
            .annotate(oldest=Min("updated_at"), need_changed=Max("need__updated_at"))
        )
        return {r["need_id"] for r in rows if r["oldest"] >= corpus_changed and r["oldest"] >= r["need_changed"]}
