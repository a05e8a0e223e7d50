"""Need analysis on csl-dev, 5-fold: each fold's 200 abstracts analysed by a platform that learned
from the other 800 (their disciplines and author keywords), through `evaluate_analysis` (the
production code). Prints each fold and the pooled figures; writes the issue's keys with --json.

    python bench/analysis_cv.py [--labelled ../shared/data/csl-dev/labelled.jsonl] [--json FILE]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

FOLDS = 5
KEYS = (
    "field_accuracy",
    "field_top3_accuracy",
    "keyphrase_f1_at_5",
    "field_confidence_ece",
    "baseline_field_accuracy",
    "baseline_keyphrase_f1_at_5",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = Path(__file__).resolve().parents[2] / "shared/data/csl-dev/labelled.jsonl"
    parser.add_argument("--labelled", default=str(default))
    parser.add_argument("--json")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    lines = [line for line in Path(args.labelled).read_text(encoding="utf-8").splitlines() if line.strip()]
    folds = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(FOLDS):
            corpus = Path(tmp, f"corpus-{k}.jsonl")
            test = Path(tmp, f"test-{k}.jsonl")
            out = Path(tmp, f"fold-{k}.json")
            corpus.write_text(
                "\n".join(line for i, line in enumerate(lines) if i % FOLDS != k) + "\n", encoding="utf-8"
            )
            test.write_text("\n".join(line for i, line in enumerate(lines) if i % FOLDS == k) + "\n", encoding="utf-8")
            call_command("evaluate_analysis", labelled=str(corpus), test=str(test), json=str(out))
            folds.append(json.loads(out.read_text(encoding="utf-8")))
    n = sum(f["n"] for f in folds)
    pooled = {"n": n, **{key: round(sum(f[key] * f["n"] for f in folds) / n, 4) for key in KEYS}}
    print(f"\n{'fold':<6}" + "".join(f"{k:>28}" for k in KEYS))
    for k, f in enumerate(folds):
        print(f"{k:<6}" + "".join(f"{f[key]:>28.4f}" for key in KEYS))
    print(f"{'all':<6}" + "".join(f"{pooled[key]:>28.4f}" for key in KEYS))
    if args.json:
        result = {**pooled, "dataset": "csl-dev labelled.jsonl (development data)", "folds": folds}
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
