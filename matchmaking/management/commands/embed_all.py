"""Embed every achievement, need and expert profile with the configured models, then bring the
stored matching index up to date.

Resumable and safe to run twice: records whose text is unchanged under a model are not encoded
again, and writing an index entry that is already there changes nothing."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from matchmaking.embeddings import SOURCES, embed_records
from matchmaking.encoders import get_encoders
from matchmaking.index import get_index
from matchmaking.indexing import index_records, pending_recentring, recentre_all, refit_centres


class Command(BaseCommand):
    help = "Compute missing or stale embeddings for all records (batched, resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--kind", choices=list(SOURCES), action="append")

    def handle(self, *args, **options):
        for encoder in get_encoders():
            total = 0
            for kind in options["kind"] or list(SOURCES):
                model, _ = SOURCES[kind]
                ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
                label = f"{kind} / {encoder.name}"
                with tqdm(total=len(ids), desc=label, unit="rec", disable=options["verbosity"] == 0) as bar:
                    for start in range(0, len(ids), options["batch_size"]):
                        chunk = ids[start : start + options["batch_size"]]
                        total += embed_records(kind=kind, ids=chunk, encoder=encoder)
                        bar.update(len(chunk))
            self.stdout.write(f"{total} records embedded with {encoder.name}; the rest were up to date.")
        # the entries below are written with the language centres of the records just embedded
        if refit_centres():
            self.stdout.write("New language centres adopted; every entry is written with them.")
        pending = pending_recentring()
        for kind in options["kind"] or list(SOURCES):
            model, _ = SOURCES[kind]
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            written = 0
            with (
                tqdm(total=len(ids), desc=f"index {kind}", unit="rec", disable=options["verbosity"] == 0) as bar,
                get_index().bulk_load(kind, len(ids)),
            ):
                for start in range(0, len(ids), options["batch_size"]):
                    chunk = ids[start : start + options["batch_size"]]
                    written += index_records(kind=kind, ids=chunk)
                    bar.update(len(chunk))
            self.stdout.write(f"{written} {kind} entries in the matching index.")
        if pending:
            recentre_all(pending)  # kinds not written above; marks the version re-indexed
