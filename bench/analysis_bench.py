"""Need analysis speed: `analyse()` (what `POST /api/v1/needs/analyse/` and the need form call) on a
2,000-character need, Chinese and English, with the production models loaded, on the demo data
(`seed_demo`, matching included) in a scratch database. Baseline in the same run: ranking the same
text for its matches (`retrieval.rank`, the work publishing it causes). Also times learning the
analysis from the platform's records (`rebuild_learned`, the daily worker job).

    python bench/analysis_bench.py [--repeats 10] [--achievements 400] [--needs 250] [--json FILE]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("MATCHING_INDEX_DIR", tempfile.mkdtemp(prefix="analysis-bench-index-"))

from _db import print_table, scratch_database, write_json  # noqa: E402

TARGET_CHARS = 2000


def long_need(language: str) -> tuple[str, str]:
    """A need of about 2,000 characters that raises several sub-problems: the descriptions of demo
    needs of different fields, one after another."""
    from enterprises.models import TechnologyNeed

    needs = TechnologyNeed.objects.filter(language=language).order_by("field__code", "pk")
    seen, parts = set(), []
    for need in needs:
        if need.field_id in seen and len(seen) < 6:
            continue
        seen.add(need.field_id)
        parts.append(need.description)
        if sum(len(p) for p in parts) >= TARGET_CHARS:
            break
    text = ("" if language == "zh-hans" else " ").join(parts)
    while len(text) < TARGET_CHARS and parts:
        text += ("" if language == "zh-hans" else " ") + parts[len(text) % len(parts)]
    return (needs.first().title if needs.exists() else "need"), text[:TARGET_CHARS]


def timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--achievements", type=int, default=400)
    parser.add_argument("--needs", type=int, default=250)
    parser.add_argument("--json")
    args = parser.parse_args()

    with scratch_database():
        from django.core.management import call_command

        from accounts.models import User
        from matchmaking.analysis.analyse import analyse
        from matchmaking.analysis.services import rebuild_learned
        from matchmaking.encoders import get_encoders
        from matchmaking.indexing import text_query
        from matchmaking.models import RecordKind
        from matchmaking.retrieval import rank

        call_command("seed_demo", achievements=args.achievements, needs=args.needs, stdout=open(os.devnull, "w"))
        start = time.perf_counter()
        learned = rebuild_learned()
        learn_seconds = time.perf_counter() - start
        encoders = get_encoders()  # loaded, as in a warmed-up web process
        enterprise = User.objects.filter(role="enterprise", enterprise__isnull=False).first()
        figures = {
            "records": learned.records,
            "records_with_keywords": learned.keyword_records,
            "learn_seconds": round(learn_seconds, 1),
        }
        for language, key in (("zh-hans", "zh"), ("en", "en")):
            title, text = long_need(language)

            def analysis(title=title, text=text, language=language):
                return analyse(title=title, description=text, user=enterprise, language=language)

            def baseline(title=title, text=text):
                vectors = {e.name: e.encode_queries([f"{title}\n{text}"])[0] for e in encoders}
                return rank(RecordKind.ACHIEVEMENT, text_query(f"{title}\n{text}", vectors), top_k=20)

            analysis()  # first call: jieba's tagger and caches
            result = analysis()
            analysed = timed(analysis, args.repeats)
            ranked = timed(baseline, args.repeats)
            figures.update(
                {
                    f"chars_{key}": len(text),
                    f"points_{key}": len(result["points"]),
                    f"analysis_p50_ms_{key}": round(statistics.median(analysed), 1),
                    f"analysis_max_ms_{key}": round(max(analysed), 1),
                    f"rank_p50_ms_{key}": round(statistics.median(ranked), 1),
                    f"analysis_vs_rank_{key}": round(statistics.median(analysed) / statistics.median(ranked), 2),
                }
            )
    print_table(f"Need analysis of a {TARGET_CHARS}-character need ({args.repeats} runs each)", figures)
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
