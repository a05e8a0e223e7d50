"""Fit the fusion (matchmaking/fusion.py DEFAULT_MODEL) on the per-pair features `make eval` dumps
for every dev set (var/features/*.npz, from `evaluate_matching --features-out`), and show what it gives.

Pairs fall in two groups that the fusion mixes differently: English-English pairs (an English
specialist's cosine exists) and every other pair (Chinese, mixed, cross-language). For each group:

1. the mix of signals (weights relative to the main cosine) is chosen on a small grid so that the
   group's worst set, measured as fused nDCG@10 minus that set's best single signal, is as high as
   possible (the rule "never below the best component", checked on every set), ties broken by the
   mean over the group's sets;
2. one logistic scale and offset (Platt scaling) on each query's top-20 pairs under that mix, every
   set weighing the same, makes the mixed score a probability.

nDCG@10 is computed over the whole corpus as evaluate_matching does (the ideal ranking from every
graded document, ties broken by document id, never by dump order), the fused ranking restricted to
the two-stage candidates. Held-out figures: the mix chosen on one half of every set's queries and
scored on the other half, both ways. The fitted weights are printed for DEFAULT_MODEL.

    python bench/fit_fusion.py [--features-dir var/features] [--json bench/results/fusion-fit.json]
"""

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GROUPS = {
    "other": ("csl-title", "csl-keywords", "csl-discipline", "pm-zh"),
    "english": ("en-summary", "en-module", "pm-en"),
}
# candidate mixes: (dense, dense_en, lexical) relative weights
GRIDS = {
    # centred cosines (matchmaking/centring.py) spread less than raw ones: lexical may weigh more
    "other": [(1.0, 0.0, a) for a in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)],
    "english": [
        (c, 1.0, a)
        for a, c in itertools.product((0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5), (0.0, 0.5, 1.0, 1.5, 2.0, 3.0))
    ],
}
SIGNAL_COLUMNS = ("dense", "dense_en", "lexical")
# Pairs across languages (an English query, a Chinese record) share no word, so the other pairs'
# mix under-rates them; after the two groups are fitted, their cosine gets its own slope (a
# multiple of the other pairs') and offset, chosen under the same rule on every set, the pooled
# cross-language ones included (the worst set's gap to its best single signal).
CROSS_SETS = ("cross-both", "cross-other")
CROSS_GRID = [(m, b) for m in (1.0, 1.25, 1.5, 1.75, 2.0, 2.5) for b in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)]


def load(directory: Path) -> dict:
    data = {}
    for name in itertools.chain(*GROUPS.values(), CROSS_SETS):
        path = directory / f"{name}.npz"
        if not path.exists():
            continue
        dump = np.load(path)
        d = {key: dump[key] for key in dump.files}
        dumped = list(d["features"])
        d["signals"] = {s: d["x"][:, dumped.index(s)] for s in SIGNAL_COLUMNS}
        d["columns"] = dumped
        order = np.argsort(d["query"], kind="stable")
        d["groups"] = np.split(order, np.flatnonzero(np.diff(d["query"][order])) + 1)
        data[name] = d
    return data


def ndcg10(scores, d, queries=None) -> float:
    """nDCG@10 over the whole corpus (a single signal alone; `fused` scores are -inf outside the
    two-stage candidates already), by the evaluation's own function."""
    from matchmaking.evaluation import dumped_pairs_ndcg10

    return dumped_pairs_ndcg10(scores, d, two_stage=False, queries=queries)


def mixed(d, mix) -> np.ndarray:
    return sum(w * d["signals"][s] for w, s in zip(mix, SIGNAL_COLUMNS, strict=True))


def fused(d, mix) -> np.ndarray:
    """The mixed score on the two-stage candidates (what production ranks), -inf elsewhere."""
    return np.where(d["two_stage"], mixed(d, mix), -np.inf)


def best_single(d, queries=None) -> float:
    return max(ndcg10(d["signals"][s], d, queries) for s in SIGNAL_COLUMNS if d["signals"][s].any())


def choose_mix(sets, names, grid, queries=None):
    subset = {n: queries[n] if queries else None for n in names}
    best = {n: best_single(sets[n], subset[n]) for n in names}

    def merit(mix):
        gaps = [ndcg10(fused(sets[n], mix), sets[n], subset[n]) - best[n] for n in names]
        return (min(gaps), float(np.mean(gaps)))

    return max(grid, key=merit)


def logits(d, weights: dict, intercept: float) -> np.ndarray:
    """The full model's logit on the two-stage candidates (-inf elsewhere), from the dumped columns."""
    z = intercept + sum(w * d["x"][:, d["columns"].index(name)] for name, w in weights.items() if w)
    return np.where(d["two_stage"], z, -np.inf)


def choose_cross(sets, weights: dict, intercept: float):
    """(slope multiple, offset) for pairs across languages, and the weights with them: the
    choice that keeps the worst of *every* set (monolingual ones too: csl-dev has English records
    among its Chinese ones) as far above its best single signal as possible."""
    best = {n: best_single(sets[n]) for n in sets}

    def with_cross(m, b):
        return {**weights, "dense_x_cross": (m - 1.0) * weights["dense"], "cross_language": b}

    def merit(choice):
        w = with_cross(*choice)
        gaps = [ndcg10(logits(sets[n], w, intercept), sets[n]) - best[n] for n in sets]
        return (min(gaps), float(np.mean(gaps)))

    chosen = max(CROSS_GRID, key=merit)
    return chosen, with_cross(*chosen)


def top20(scores, d) -> np.ndarray:
    mask = np.zeros(len(scores), dtype=bool)
    for group in d["groups"]:
        mask[group[np.lexsort((d["doc"][group], -scores[group]))][:20]] = True
    return mask & d["two_stage"]


def platt(sets, names, mix):
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for n in names:
        d = sets[n]
        s = mixed(d, mix)
        m = top20(s, d)
        xs.append(s[m])
        ys.append((d["label"][m] > 0).astype(int))
        ws.append(np.full(m.sum(), 1.0 / m.sum()))
    x, y, w = np.concatenate(xs)[:, None], np.concatenate(ys), np.concatenate(ws)
    model = LogisticRegression(C=1e4, max_iter=5000).fit(x, y, sample_weight=w * len(w) / w.sum())
    return float(model.coef_[0][0]), float(model.intercept_[0])


def ece(d, mix, scale, offset, bins=10) -> float:
    s = mixed(d, mix)
    m = top20(s, d)
    p = 1 / (1 + np.exp(-(scale * s[m] + offset)))
    y = (d["label"][m] > 0) * 1.0
    which = np.clip((p * bins).astype(int), 0, bins - 1)
    return float(
        sum(
            abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum()
            for b in range(bins)
            if (which == b).any()
        )
        / len(p)
    )


def main():
    from matchmaking.fusion import FEATURES

    parser = argparse.ArgumentParser()
    parser.add_argument("--features-dir", default="var/features")
    parser.add_argument("--json")
    args = parser.parse_args()
    sets = load(Path(args.features_dir))
    result = {"groups": {}, "sets": {}}
    fitted = {}
    print(f"{'set':<16}{'fused':>8}{'held-out':>10}{'ECE@20':>8}  alone (whole corpus)  fused-best")
    for group, all_names in GROUPS.items():
        names = [n for n in all_names if n in sets]
        if not names:
            continue
        mix = choose_mix(sets, names, GRIDS[group])
        scale, offset = platt(sets, names, mix)
        fitted[group] = (mix, scale, offset)
        result["groups"][group] = {"mix": dict(zip(SIGNAL_COLUMNS, mix, strict=True)), "scale": scale, "offset": offset}
        held = {n: [] for n in names}
        for half in (0, 1):
            train = {n: set(np.unique(sets[n]["query"][sets[n]["query"] % 2 == half]).tolist()) for n in names}
            test = {n: set(np.unique(sets[n]["query"][sets[n]["query"] % 2 != half]).tolist()) for n in names}
            chosen = choose_mix(sets, names, GRIDS[group], train)
            for n in names:
                held[n].append(ndcg10(fused(sets[n], chosen), sets[n], test[n]))
        for n in names:
            d = sets[n]
            alone = {s: round(ndcg10(d["signals"][s], d), 4) for s in SIGNAL_COLUMNS if d["signals"][s].any()}
            row = {
                "fused": round(ndcg10(fused(d, mix), d), 4),
                "held_out": round(float(np.mean(held[n])), 4),
                "ece_top20": round(ece(d, mix, scale, offset), 4),
                "alone": alone,
            }
            row["fused_minus_best"] = round(row["fused"] - max(alone.values()), 4)
            result["sets"][n] = row
            print(
                f"{n:<16}{row['fused']:>8.4f}{row['held_out']:>10.4f}{row['ece_top20']:>8.4f}"
                f"  {alone}  {row['fused_minus_best']:+.4f}"
            )
    if set(fitted) == set(GROUPS):
        # logit = other-mix * scale + offset on other pairs; the English group's mix and scale on top
        (od, _, ol), os_, oo = fitted["other"]
        (ed, ee, el), es, eo = fitted["english"]
        weights = dict.fromkeys(FEATURES, 0.0)
        weights.update(
            dense=od * os_,
            lexical=ol * os_,
            dense_en=ee * es,
            has_dense_en=eo - oo,
            dense_x_has_en=ed * es - od * os_,
            lexical_x_has_en=el * es - ol * os_,
        )
        if any(n in sets for n in CROSS_SETS):
            (m, b), weights = choose_cross(sets, weights, oo)
            result["groups"]["cross_language"] = {"dense_multiple": m, "offset": b}
            for n in (n for n in CROSS_SETS if n in sets):
                d = sets[n]
                alone = {s: round(ndcg10(d["signals"][s], d), 4) for s in SIGNAL_COLUMNS if d["signals"][s].any()}
                row = {"fused": round(ndcg10(logits(d, weights, oo), d), 4), "alone": alone}
                row["fused_minus_best"] = round(row["fused"] - max(alone.values()), 4)
                result["sets"][n] = row
                print(f"{n:<16}{row['fused']:>8.4f}{'':>10}{'':>8}  {alone}  {row['fused_minus_best']:+.4f}")
            # the groups' rows above are without the cross-language term; with it (the shipped model):
            print("with the cross-language term:")
            for n, row in result["sets"].items():
                if n not in CROSS_SETS:
                    row["final"] = round(ndcg10(logits(sets[n], weights, oo), sets[n]), 4)
                    row["final_minus_best"] = round(row["final"] - max(row["alone"].values()), 4)
                    print(f"{n:<16}{row['final']:>8.4f}  {row['final_minus_best']:+.4f}")
        result["weights"] = {k: round(v, 4) for k, v in weights.items()}
        result["intercept"] = round(oo, 4)
        print("DEFAULT_MODEL weights", tuple(result["weights"].values()), "intercept", result["intercept"])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
