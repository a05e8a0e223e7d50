"""Fit the shipped key-term scorer (matchmaking/analysis/default_terms.json): the one need analysis
uses while the platform has fewer than MIN_KEYWORD_RECORDS records with their authors' keywords.
It is fitted on csl-dev's labelled abstracts (development data) with the same code the platform
runs (`learned.build`); its held-out figure is the 5-fold one in bench/results/analysis-csl-dev.json.

    python bench/fit_default_terms.py [--labelled ../shared/data/csl-dev/labelled.jsonl]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaking.analysis.learned import DEFAULT_TERMS, record_digest  # noqa: E402
from matchmaking.analysis.terms import compact, corpus_stats, fit_term_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--labelled", default=str(Path(__file__).resolve().parents[2] / "shared/data/csl-dev/labelled.jsonl")
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.labelled, encoding="utf-8") if line.strip()]
    records = [(r.get("title", ""), r.get("text", "")) for r in rows]
    keywords = [r.get("keywords", []) for r in rows]
    stats, found = corpus_stats(records, keywords)
    model = fit_term_model(records, keywords, stats, found)
    data = {
        "source": "csl-dev labelled.jsonl",
        "terms": model.to_dict(),
        "stats": compact(stats).to_dict(),
        # so that evaluate_analysis can refuse to score this scorer on the records it was fitted on
        "fitted_on": sorted(record_digest(title, text) for title, text in records),
    }
    DEFAULT_TERMS.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"fitted on {model.trained_on} records; wrote {DEFAULT_TERMS} ({DEFAULT_TERMS.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
