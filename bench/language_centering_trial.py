"""Trial: the multilingual model's cosines with each language's mean vector taken out.

e5-small puts every Chinese text near every other Chinese text (and English near English): an
English patent and its own Chinese translation are less alike (0.80) than two unrelated Chinese
patents (0.87; bench/cross_language_gap.py), so a translation never reaches an English query's top
100. Subtracting, per language, the mean vector of the corpus's records in that language (from the
query too, with the corpus mean of the query's language) removes that shared component; no label
is used. This script measures dense-only rankings, raw against centred, on every dev set the
matching targets name, so the change is adopted only if it holds everywhere.

    python bench/language_centering_trial.py [--json bench/results/language-centering.json]
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def _sets():
    csl, pm = DATA / "csl-dev", DATA / "patentmatch-dev"
    en, cross = ROOT / "var" / "en-dev", ROOT / "var" / "cross-dev"
    for name in ("title", "keywords", "discipline"):
        yield f"csl-{name}", csl / "corpus.jsonl", csl / f"queries_{name}.jsonl", csl / "qrels" / f"{name}.tsv"
    for lang in ("zh", "en"):
        yield f"pm-{lang}", pm / lang / "corpus.jsonl", pm / lang / "queries.jsonl", pm / lang / "qrels.tsv"
    for name in ("summary", "module"):
        yield f"en-{name}", en / "corpus.jsonl", en / "queries.jsonl", en / "qrels" / f"{name}.tsv"
    for name in ("both", "other"):
        yield f"cross-{name}", cross / "corpus.jsonl", cross / "queries.jsonl", cross / "qrels" / f"{name}.tsv"


def _ndcg_recall(scores: np.ndarray, doc_ids: list[str], qrels: dict) -> tuple[float, float]:
    top = np.argsort(-scores)[:100]
    ranked = [doc_ids[i] for i in top]
    gains = [float(qrels.get(d, 0)) for d in ranked[:10]]
    dcg = sum((2**g - 1) / np.log2(r + 2) for r, g in enumerate(gains))
    ideal = sorted((float(g) for g in qrels.values()), reverse=True)[:10]
    idcg = sum((2**g - 1) / np.log2(r + 2) for r, g in enumerate(ideal))
    relevant = {d for d, g in qrels.items() if float(g) > 0}
    return (dcg / idcg if idcg else 0.0), (len(relevant & set(ranked)) / len(relevant) if relevant else 0.0)


def _centred(vectors, languages, means, pooled):
    shifted = np.stack([v - means.get(lang, pooled) for v, lang in zip(vectors, languages, strict=True)])
    return shifted / np.linalg.norm(shifted, axis=1, keepdims=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    import django

    django.setup()
    from core.text import detect_language
    from matchmaking.encoders import get_encoders
    from matchmaking.evaluation import read_jsonl, read_qrels
    from matchmaking.management.commands.evaluate_matching import _encode

    encoder = next(e for e in get_encoders() if e.multilingual)
    cache = ROOT / "var" / "cache" / "eval-vectors"
    results = {"model": encoder.name}
    print(f"{'set':16s} {'raw nDCG@10':>12s} {'centred':>8s} {'raw R@100':>10s} {'centred':>8s}")
    for name, corpus_path, queries_path, qrels_path in _sets():
        if not qrels_path.exists():
            print(f"{name:16s} (missing: run make eval once to build {qrels_path.parent.parent})")
            continue
        docs, queries, qrels = read_jsonl(corpus_path), read_jsonl(queries_path), read_qrels(str(qrels_path))
        passages = ["\n".join(filter(None, (d.get("title") or "", d.get("text") or ""))) for d in docs]
        doc_ids = [str(d["_id"]) for d in docs]
        queries = [q for q in queries if str(q["_id"]) in qrels]
        D = _encode(encoder, passages, "passage", cache)
        Q = _encode(encoder, [q["text"] for q in queries], "query", cache)
        doc_lang = np.array([detect_language(p) or "en" for p in passages])
        query_lang = [detect_language(q["text"]) or "en" for q in queries]
        means = {lang: D[doc_lang == lang].mean(0) for lang in set(doc_lang)}
        pooled = D.mean(0)

        Dc, Qc = _centred(D, doc_lang, means, pooled), _centred(Q, query_lang, means, pooled)
        raw = [_ndcg_recall(D @ q, doc_ids, qrels[str(x["_id"])]) for q, x in zip(Q, queries, strict=True)]
        new = [_ndcg_recall(Dc @ q, doc_ids, qrels[str(x["_id"])]) for q, x in zip(Qc, queries, strict=True)]
        row = {
            "queries": len(queries),
            "raw_ndcg@10": round(float(np.mean([r[0] for r in raw])), 4),
            "centred_ndcg@10": round(float(np.mean([r[0] for r in new])), 4),
            "raw_recall@100": round(float(np.mean([r[1] for r in raw])), 4),
            "centred_recall@100": round(float(np.mean([r[1] for r in new])), 4),
            "languages": {lang: int((doc_lang == lang).sum()) for lang in sorted(means)},
        }
        results[name] = row
        print(
            f"{name:16s} {row['raw_ndcg@10']:12.4f} {row['centred_ndcg@10']:8.4f} "
            f"{row['raw_recall@100']:10.4f} {row['centred_recall@100']:8.4f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
