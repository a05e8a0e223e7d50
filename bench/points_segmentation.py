"""How well need analysis splits a text into its technical points (matchmaking/analysis/points.py),
on synthetic needs built from csl-dev the way text-segmentation benchmarks are built (Choi 2000):
the first sentences of two to four abstracts, one after another, each abstract one sub-problem.

Each abstract is split into sentences on its own, so a join between two parts is always a sentence
end (in a real need a sub-problem may start mid-sentence: that case is not measured here).

Two sets of needs, both without announcing words (另外, 其次 ...: those are found by rule, trivially):
- `mixed`: abstracts of different disciplines (a need that spans, say, materials and control);
- `same`: abstracts of one discipline (sub-problems of one field, the hard and common case).

Scored against the true starts of the sub-problems: boundary precision, recall and F1 (exact
positions) and Pk (Beeferman et al. 1999: the chance that two sentences k apart are wrongly put in the
same or in different points; lower is better), next to two baselines in the same run: the whole text
as one point, and every sentence its own point. The production path: `points.group` over the
sentence vectors of the configured multilingual model, as `analyse()` computes them.

    python bench/points_segmentation.py [--labelled ../shared/data/csl-dev/labelled.jsonl]
        [--needs 150] [--json bench/results/analysis-points.json]
"""

import argparse
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

SENTENCES_PER_PART = 3


def synthetic_needs(rows: list[dict], count: int, same: bool, rng: random.Random, split) -> list[tuple[list, set]]:
    """(sentences, true starts) of `count` needs of two to four parts each."""
    by_label = defaultdict(list)
    for row in rows:
        parts = split(row["text"])[:SENTENCES_PER_PART]
        if len(parts) >= 2:
            by_label[row["label"]].append(parts)
    roomy = [label for label, items in by_label.items() if len(items) >= 4]
    needs = []
    for _ in range(count):
        size = rng.randint(2, 4)
        if same:
            chosen = rng.sample(by_label[rng.choice(roomy)], size)
        else:
            chosen = [rng.choice(by_label[label]) for label in rng.sample(sorted(by_label), size)]
        sentences, starts = [], set()
        for part in chosen:
            if sentences:
                starts.add(len(sentences))
            sentences.extend(part)
        needs.append((sentences, starts))
    return needs


def _labels(count: int, starts: set) -> list[int]:
    labels, current = [], 0
    for i in range(count):
        if i in starts:
            current += 1
        labels.append(current)
    return labels


def scores(needs, predicted: list[set]) -> dict:
    hits = found = wanted = 0
    errors = windows = 0
    for (sentences, truth), guess in zip(needs, predicted, strict=True):
        hits += len(truth & guess)
        found += len(guess)
        wanted += len(truth)
        n = len(sentences)
        k = max(1, round(n / (len(truth) + 1) / 2))
        gold, pred = _labels(n, truth), _labels(n, guess)
        for i in range(n - k):
            windows += 1
            errors += (gold[i] == gold[i + k]) != (pred[i] == pred[i + k])
    precision = hits / found if found else 0.0
    recall = hits / wanted if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "boundary_precision": round(precision, 4),
        "boundary_recall": round(recall, 4),
        "boundary_f1": round(f1, 4),
        "pk": round(errors / windows, 4) if windows else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", default=ROOT / "../shared/data/csl-dev/labelled.jsonl", type=Path)
    parser.add_argument("--needs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    import django

    django.setup()
    from _db import print_table, write_json

    from matchmaking.analysis import points
    from matchmaking.encoders import get_encoders
    from matchmaking.evaluation import read_jsonl

    rows = read_jsonl(args.labelled)
    encoder = next(e for e in get_encoders() if e.multilingual)
    figures = {"needs_per_set": args.needs, "model": Path(encoder.name).name}
    for name, same in (("mixed", False), ("same", True)):
        needs = synthetic_needs(rows, args.needs, same, random.Random(args.seed), points.sentences)
        flat = [s for sentences, _ in needs for s in sentences]
        vectors = np.asarray(encoder.encode_queries(flat))
        offsets = np.cumsum([0] + [len(s) for s, _ in needs])
        production = []
        for i, (sentences, _) in enumerate(needs):
            runs = points.group(sentences, vectors[offsets[i] : offsets[i + 1]])
            production.append({run[0] for run in runs[1:]})
        figures[name] = {
            "sentences_per_need": round(len(flat) / len(needs), 2),
            "points_per_need": round(np.mean([len(t) + 1 for _, t in needs]), 2),
            "production": scores(needs, production),
            "one_point": scores(needs, [set() for _ in needs]),
            "every_sentence": scores(needs, [set(range(1, len(s))) for s, _ in needs]),
        }
        table = {
            f"{method}: {metric}": value
            for method in ("production", "one_point", "every_sentence")
            for metric, value in figures[name][method].items()
        }
        print_table(f"Technical points, {name} needs ({args.needs}, from {args.labelled.name})", table)
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
