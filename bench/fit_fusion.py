"""Fit the fusion's logistic weights on the per-pair features `make eval` dumps for every dev
set (var/features/*.npz, from `evaluate_matching --features-out`), and show what they give.

Each pair is one of a query's two-stage candidates (what production scores), labelled relevant
when its grade is > 0. Every set weighs the same in the fit, whatever its number of pairs
(per-set weighting), so the small patent sets count as much as csl-dev. Reported per set:
nDCG@10 of the fused ranking and of each component alone, in-sample (fit on all queries) and
held out (fit on one half of every set's queries, scored on the other half, both ways), and the
expected calibration error of the fused probabilities over the top-20 pairs of each query.

    python bench/fit_fusion.py [--features var/features] [--json bench/results/fusion-fit.json]
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SETS = ("csl-title", "csl-keywords", "csl-discipline", "en-summary", "en-module", "pm-zh", "pm-en")


def load(directory: Path) -> dict:
    data = {}
    for name in SETS:
        path = directory / f"{name}.npz"
        if path.exists():
            dump = np.load(path)
            data[name] = {key: dump[key] for key in dump.files}
    return data


def ndcg10(scores, grades, queries) -> float:
    """Mean nDCG@10 (exponential gain, as evaluate_matching) over the queries with a relevant pair."""
    total, counted = 0.0, 0
    order = np.argsort(queries, kind="stable")
    bounds = np.flatnonzero(np.diff(queries[order])) + 1
    for group in np.split(order, bounds):
        g = grades[group]
        if not (g > 0).any():
            continue
        top = group[np.lexsort((group, -scores[group]))][:10]
        dcg = sum((2 ** grades[i] - 1) / math.log2(r + 2) for r, i in enumerate(top) if grades[i] > 0)
        ideal = np.sort(g[g > 0])[::-1][:10]
        total += dcg / sum((2**x - 1) / math.log2(r + 2) for r, x in enumerate(ideal))
        counted += 1
    return total / counted if counted else 0.0


def ece(probabilities, labels, bins=10) -> float:
    which = np.clip(np.digitize(probabilities, np.linspace(0, 1, bins + 1)[1:-1]), 0, bins - 1)
    return float(
        sum(
            abs(probabilities[which == b].mean() - labels[which == b].mean()) * (which == b).sum()
            for b in range(bins)
            if (which == b).any()
        )
        / len(probabilities)
    )


def top_k_mask(scores, queries, k=20):
    mask = np.zeros(len(scores), dtype=bool)
    order = np.argsort(queries, kind="stable")
    bounds = np.flatnonzero(np.diff(queries[order])) + 1
    for group in np.split(order, bounds):
        mask[group[np.argsort(-scores[group], kind="stable")[:k]]] = True
    return mask


def fit(sets: dict, names, transform, select, c=1.0):
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for name in names:
        d = sets[name]
        rows = select(d)
        x = transform(d["x"][rows])
        y = (d["label"][rows] > 0).astype(int)
        xs.append(x)
        ys.append(y)
        ws.append(np.full(len(y), 1.0 / len(y)))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    w = w * len(y) / w.sum()
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y, sample_weight=w)
    return model.coef_[0], float(model.intercept_[0])


def report(sets, transform, names_out, weights, intercept, select):
    figures = {}
    for name in names_out:
        d = sets[name]
        rows = select(d)
        z = transform(d["x"][rows]) @ weights + intercept
        p = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
        q, g = d["query"][rows], d["label"][rows]
        shown = top_k_mask(p, q)
        figures[name] = {
            "fused": round(float(ndcg10(p, g, q)), 4),
            "ece_top20": round(ece(p[shown], (g[shown] > 0) * 1.0), 4),
        }
    return figures


def main():
    from matchmaking.fusion import FEATURES, SIGNALS, derive

    parser = argparse.ArgumentParser()
    parser.add_argument("--features-dir", default="var/features")
    parser.add_argument("--features", default=",".join(FEATURES), help="feature names (fusion.SIGNALS, DERIVED)")
    parser.add_argument("--json")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument(
        "--top", type=int, default=20, help="fit on the pairs in a query's top N by any single signal (0: all)"
    )
    args = parser.parse_args()
    names_f = args.features.split(",")
    sets = load(Path(args.features_dir))
    names = [n for n in SETS if n in sets]
    for name in names:
        dumped = list(sets[name]["features"])
        columns = [dumped.index(signal) for signal in SIGNALS]
        sets[name]["signals"] = sets[name]["x"][:, columns]
        sets[name]["x"] = derive(sets[name]["signals"], names_f)
        contested = np.zeros(len(sets[name]["label"]), dtype=bool)
        for column in (0, 1, 3):
            if args.top and sets[name]["signals"][:, column].any():
                contested |= top_k_mask(sets[name]["signals"][:, column], sets[name]["query"], args.top)
        # The pairs the ranking is decided on: a query's top N under any single signal (the easy
        # negatives far down every list would otherwise dominate the fit); scored on all candidates.
        sets[name]["fit_rows"] = sets[name]["two_stage"] & (contested if args.top else True)
    transform = lambda x: x  # noqa: E731
    in_two_stage = lambda d: d["two_stage"]  # noqa: E731
    fit_rows = lambda d: d["fit_rows"]  # noqa: E731
    weights, intercept = fit(sets, names, transform, fit_rows, args.c)
    in_sample = report(sets, transform, names, weights, intercept, in_two_stage)
    held = {n: [] for n in names}
    for half in (0, 1):
        train = lambda d, h=half: d["fit_rows"] & (d["query"] % 2 == h)  # noqa: E731
        test = lambda d, h=half: d["two_stage"] & (d["query"] % 2 != h)  # noqa: E731
        w, b = fit(sets, names, transform, train, args.c)
        for name, f in report(sets, transform, names, w, b, test).items():
            held[name].append(f["fused"])
    result = {"weights": dict(zip(names_f, map(float, weights), strict=True)), "intercept": intercept, "sets": {}}
    print("weights", {k: round(v, 3) for k, v in result["weights"].items()}, "intercept", round(intercept, 3))
    print(f"{'set':<16}{'fused':>8}{'held-out':>10}{'ECE@20':>8}  alone (whole corpus)")
    for name in names:
        d = sets[name]
        alone = {"dense": round(float(ndcg10(d["signals"][:, 0], d["label"], d["query"])), 4)}
        if d["signals"][:, 2].any():
            alone["dense_en"] = round(float(ndcg10(d["signals"][:, 1], d["label"], d["query"])), 4)
        alone["lexical"] = round(float(ndcg10(d["signals"][:, 3], d["label"], d["query"])), 4)
        row = {**in_sample[name], "held_out": round(float(np.mean(held[name])), 4), "alone": alone}
        best = max(alone.values())
        row["fused_minus_best"] = round(row["fused"] - best, 4)
        result["sets"][name] = row
        print(
            f"{name:<16}{row['fused']:>8.4f}{row['held_out']:>10.4f}{row['ece_top20']:>8.4f}  {alone}"
            f"  fused-best {row['fused_minus_best']:+.4f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
