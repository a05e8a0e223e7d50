"""Topical signals tried for csl-dev's discipline task (target nDCG@10 >= 0.63), each added to the
shipped fusion's logit over the pairs `make eval` dumps, on every dev set: a signal is worth adopting
only if it lifts discipline without costing another set (the fusion rule). Candidates, all per-pair
and per-record (no corpus-wide quadratic step at ranking time):

- `smooth`: the cosine of neighbour-smoothed vectors, each record's e5 vector plus alpha times the
  mean of its k nearest records (the old engine's topic smoothing, per record through the index),
  the query smoothed the same way by its k nearest records;
- `prf`: pseudo-relevance feedback, the query's vector moved towards its k nearest records (Rocchio),
  against the records' own vectors;
- `lsa`: cosine in a latent semantic space (TF-IDF over the index's tokens, truncated SVD), what a
  worker could train as the corpus-level "topic space".

    make eval && python bench/topic_signal_trials.py [--json bench/results/topic-trials.json]

Prints, per signal and setting, the change of nDCG@10 on each set, best worst-case first.
"""

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

EN, CSL, PM = ROOT / "var/english-dev", ROOT / "../shared/data/csl-dev", ROOT / "../shared/data/patentmatch-dev"
SETS = {
    "csl-title": (CSL / "corpus.jsonl", CSL / "queries_title.jsonl"),
    "csl-keywords": (CSL / "corpus.jsonl", CSL / "queries_keywords.jsonl"),
    "csl-discipline": (CSL / "corpus.jsonl", CSL / "queries_discipline.jsonl"),
    "pm-zh": (PM / "zh/corpus.jsonl", PM / "zh/queries.jsonl"),
    "en-summary": (EN / "corpus.jsonl", EN / "queries.jsonl"),
    "en-module": (EN / "corpus.jsonl", EN / "queries.jsonl"),
    "pm-en": (PM / "en/corpus.jsonl", PM / "en/queries.jsonl"),
}


def _unit(x):
    return x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-12)


def _nearest_mean(sims, source, k):
    nearest = np.argpartition(-sims, k, axis=1)[:, :k]
    return source[nearest].mean(axis=1)


def signals(docs, queries, doc_tokens, query_tokens):
    """name -> (query vectors, document vectors) whose row-wise cosine is the signal."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    out = {}
    doc_sims = docs @ docs.T
    np.fill_diagonal(doc_sims, -np.inf)
    query_sims = queries @ docs.T
    for k, alpha in itertools.product((5, 20), (1.0, 2.0)):
        smoothed_docs = _unit(docs + alpha * _nearest_mean(doc_sims, docs, k))
        moved_queries = _unit(queries + alpha * _nearest_mean(query_sims, docs, k))
        out[f"smooth k={k} alpha={alpha}"] = (moved_queries, smoothed_docs)
        out[f"prf k={k} alpha={alpha}"] = (moved_queries, docs)
    tfidf = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True, min_df=2)
    x_docs, x_queries = tfidf.fit_transform(doc_tokens), None
    x_queries = tfidf.transform(query_tokens)
    for dims in (50, 200):
        svd = TruncatedSVD(dims, random_state=0).fit(x_docs)
        out[f"lsa dims={dims}"] = (_unit(svd.transform(x_queries)), _unit(svd.transform(x_docs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features-dir", default=ROOT / "var/features", type=Path)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    import django

    django.setup()
    from matchmaking.encoders import get_encoders
    from matchmaking.evaluation import dumped_pairs_ndcg10, read_jsonl
    from matchmaking.fusion import DEFAULT_MODEL
    from matchmaking.management.commands.evaluate_matching import _encode
    from matchmaking.text import weighted_document

    e5 = next(e for e in get_encoders() if e.multilingual)
    cache = ROOT / "var/cache/eval-vectors"
    deltas: dict[str, dict[str, float]] = {}
    base_figures = {}
    for name, (corpus_path, queries_path) in SETS.items():
        corpus, queries = read_jsonl(corpus_path), read_jsonl(queries_path)
        passages = ["\n".join(filter(None, (d.get("title") or "", d.get("text") or ""))) for d in corpus]
        docs = _encode(e5, passages, "passage", cache).astype(np.float64)
        query_vectors = _encode(e5, [q["text"] for q in queries], "query", cache).astype(np.float64)
        doc_tokens = [weighted_document(d.get("title") or "", (), d.get("text") or "") for d in corpus]
        query_tokens = [weighted_document("", (), q["text"]) for q in queries]
        dump = dict(np.load(args.features_dir / f"{name}.npz"))
        base = dump["x"] @ np.asarray(DEFAULT_MODEL.weights) + DEFAULT_MODEL.intercept
        base_figures[name] = round(dumped_pairs_ndcg10(base, dump), 4)
        for signal, (q, d) in signals(docs, query_vectors, doc_tokens, query_tokens).items():
            value = np.einsum("ij,ij->i", q[dump["query"]], d[dump["doc"]])
            for weight in (2, 10, 40):
                delta = dumped_pairs_ndcg10(base + weight * value, dump) - base_figures[name]
                deltas.setdefault(f"{signal} weight={weight}", {})[name] = round(delta, 4)
        print(f"{name}: shipped fusion {base_figures[name]}", flush=True)
    ranked = sorted(deltas.items(), key=lambda item: -min(item[1].values()))
    names = list(SETS)
    print(f"\n{'signal':40}" + "".join(f"{n:>15}" for n in names))
    for signal, by_set in ranked[:12]:
        print(f"{signal:40}" + "".join(f"{by_set[n]:>+15.4f}" for n in names))
    best_discipline = max(deltas.items(), key=lambda item: item[1]["csl-discipline"])
    print(f"\nlargest discipline gain: {best_discipline[0]} {best_discipline[1]}")
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps({"shipped": base_figures, "best_worst_case": ranked[:12], "deltas": deltas}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
