"""Print the README's evaluation table from the JSON files `make eval` wrote (bench/results/eval-*.json)."""

import json
import sys
from pathlib import Path

SETS = [
    ("csl-title", "csl-dev title"),
    ("csl-keywords", "csl-dev keywords"),
    ("csl-discipline", "csl-dev discipline (graded)"),
    ("en-summary", "English docstrings: summary"),
    ("en-module", "English docstrings: module (graded)"),
    ("en-owners", "English docstrings: module as owner"),
    ("pm-zh", "patentmatch-dev zh"),
    ("pm-en", "patentmatch-dev en"),
    ("cross-both", "patentmatch-dev zh+en pooled, both golds (cross-language)"),
    ("cross-other", "same, only the other language's gold"),
]


def cell(figures, variant):
    return f"{figures[variant]['ndcg@10']:.4f}" if variant in figures else "–"


def main(directory="bench/results"):
    print(
        "| set | fused nDCG@10 | e5 alone | MiniLM alone | lexical alone | fused − best "
        "| R@100 two-stage / whole | ECE top-20 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key, label in SETS:
        path = Path(directory) / f"eval-{key}.json"
        if not path.exists():
            print(f"| {label} | not run | | | | | | |")
            continue
        f = json.loads(path.read_text())
        if "candidates" not in f:
            print(f"| {label} | not rerun since the new fusion | | | | | | |")
            continue
        best = max(f[v]["ndcg@10"] for v in ("dense", "dense_en", "lexical") if v in f)
        c = f["candidates"]
        cal = f.get("calibration", {}).get("top20", {}).get("ece")
        print(
            f"| {label} | **{cell(f, 'hybrid')}** | {cell(f, 'dense')} | {cell(f, 'dense_en')} | {cell(f, 'lexical')} "
            f"| {f['hybrid']['ndcg@10'] - best:+.4f} "
            f"| {c['recall@100_two_stage']:.4f} / {c['recall@100_whole_corpus']:.4f} "
            f"| {cal if cal is not None else '–'} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
