"""How much lower the multilingual model's cosines are across languages than within one, on
unrelated pairs: why an English need never found a Chinese achievement with the raw vectors, and
what taking each language's mean out (matchmaking/centring.py) corrects.

No labels are used: the background (every query against every document that is not its own
match) of each (query language, document language) combination, from patentmatch-dev's Chinese
and English halves (different patents, so every cross-language pair is unrelated). Cross-language
pairs are scored by the fusion's "other pairs" mix, calibrated on Chinese pairs, so the shift is
the Chinese-Chinese background minus the cross-language background (both directions averaged).
Also printed: where the relevant same-language pairs sit, for scale. Vectors are the ones
`make eval` caches (var/cache/eval-vectors), encoded by the configured multilingual model.

    python bench/cross_language_gap.py [--dev ../shared/data/patentmatch-dev] [--json FILE]
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", default=str(ROOT.parent / "shared" / "data" / "patentmatch-dev"))
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    import django

    django.setup()
    from matchmaking.encoders import get_encoders
    from matchmaking.evaluation import read_jsonl, read_qrels
    from matchmaking.management.commands.evaluate_matching import _encode

    encoder = next(e for e in get_encoders() if e.multilingual)
    cache = ROOT / "var" / "cache" / "eval-vectors"
    halves = {}
    for language in ("zh", "en"):
        folder = Path(args.dev) / language
        docs = read_jsonl(folder / "corpus.jsonl")
        queries = read_jsonl(folder / "queries.jsonl")
        passages = ["\n".join(filter(None, (d.get("title") or "", d.get("text") or ""))) for d in docs]
        halves[language] = {
            "doc_ids": [str(d["_id"]) for d in docs],
            "query_ids": [str(q["_id"]) for q in queries],
            "docs": _encode(encoder, passages, "passage", cache),
            "queries": _encode(encoder, [q["text"] for q in queries], "query", cache),
            "qrels": read_qrels(str(folder / "qrels.tsv")),
        }
    figures = {"model": encoder.name}
    for q_lang in ("zh", "en"):
        for d_lang in ("zh", "en"):
            q, d = halves[q_lang], halves[d_lang]
            cos = q["queries"].astype(np.float64) @ d["docs"].astype(np.float64).T
            relevant = np.zeros_like(cos, dtype=bool)
            if q_lang == d_lang:
                index = {doc: j for j, doc in enumerate(d["doc_ids"])}
                for i, qid in enumerate(q["query_ids"]):
                    for doc, grade in q["qrels"].get(qid, {}).items():
                        if grade > 0 and doc in index:
                            relevant[i, index[doc]] = True
            key = f"{q_lang}->{d_lang}"
            figures[key] = {
                "background_mean": round(float(cos[~relevant].mean()), 4),
                "background_p90": round(float(np.quantile(cos[~relevant], 0.9)), 4),
            }
            if relevant.any():
                figures[key]["relevant_mean"] = round(float(cos[relevant].mean()), 4)
    cross = (figures["en->zh"]["background_mean"] + figures["zh->en"]["background_mean"]) / 2
    figures["shift"] = round(figures["zh->zh"]["background_mean"] - cross, 4)
    print(f"{'pairs':<8}{'background':>12}{'p90':>8}{'relevant':>10}")
    for key in ("zh->zh", "en->en", "en->zh", "zh->en"):
        row = figures[key]
        relevant = row.get("relevant_mean", float("nan"))
        print(f"{key:<8}{row['background_mean']:>12.4f}{row['background_p90']:>8.4f}{relevant:>10.4f}")
    print(f"shift (Chinese-Chinese background - cross-language background): {figures['shift']:+.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
