"""Embedding pipeline throughput against a bare `model.encode` on the same texts, same run.

The pipeline is what the `embeddings` queue runs: read records, hash their text, skip the
unchanged, encode in bulk, upsert vectors. Target: at least 90% of bare encode throughput.

    python bench/embedding_bench.py [--records 1024] [--model bundled:all-MiniLM-L6-v2] [--json FILE]
"""

import argparse
import time

from _db import print_table, scratch_database, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default="bundled:all-MiniLM-L6-v2")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    with scratch_database() as connection:
        from django.conf import settings

        settings.EMBEDDING_MODEL = args.model
        from achievements.models import Achievement, Institution
        from core.models import TechnicalField
        from demo.topics import TOPICS
        from matchmaking.embeddings import achievement_text, embed_records
        from matchmaking.encoders import get_encoder

        institution = Institution.objects.create(name="基准大学")
        field = TechnicalField.objects.first()
        topics = [t for items in TOPICS.values() for t in items]
        rows = []
        for i in range(args.records):
            name, keywords, problem, uses, name_en, _ = topics[i % len(topics)]
            rows.append(
                Achievement(
                    institution=institution,
                    field=field,
                    trl=6,
                    maturity_stage="pilot",
                    title=f"{name}技术{i}",
                    title_key=f"bench{i}",
                    keywords=keywords,
                    abstract=f"本成果针对{problem}的问题，研发了{name}技术，可应用于{uses}等领域。"
                    f"Also known as {name_en}.",
                )
            )
        Achievement.objects.bulk_create(rows)
        ids = list(Achievement.objects.order_by("pk").values_list("pk", flat=True))
        texts = [achievement_text(a) for a in Achievement.objects.order_by("pk")]

        from matchmaking.models import Embedding

        encoder = get_encoder()
        encoder.encode_passages(texts[:64])  # load and warm up before timing either side

        def time_bare():
            started = time.perf_counter()
            for start in range(0, len(texts), args.batch):
                encoder.encode_passages(texts[start : start + args.batch])
            return time.perf_counter() - started

        def time_pipeline():
            Embedding.objects.all().delete()
            started = time.perf_counter()
            encoded = 0
            for start in range(0, len(ids), args.batch):
                encoded += embed_records(kind="achievement", ids=ids[start : start + args.batch], encoder=encoder)
            assert encoded == len(ids)
            return time.perf_counter() - started

        # Alternate the two and keep each one's best round, so neither gains from going second.
        bare = min(time_bare(), time_bare() if args.rounds > 1 else float("inf"))
        pipeline = float("inf")
        for _ in range(args.rounds):
            pipeline = min(pipeline, time_pipeline())
            bare = min(bare, time_bare())
        again = time.perf_counter()
        assert embed_records(kind="achievement", ids=ids, encoder=encoder) == 0
        skip_seconds = time.perf_counter() - again

        figures = {
            "records": len(ids),
            "model": encoder.name,
            "database": connection.vendor,
            "pipeline_per_s": round(len(ids) / pipeline, 1),
            "bare_encode_per_s": round(len(ids) / bare, 1),
            "ratio": round(bare / pipeline, 3),
            "unchanged_rerun_s": round(skip_seconds, 3),
        }
    print_table("Embedding pipeline vs bare encode", figures)
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
