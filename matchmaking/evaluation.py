"""Retrieval metrics, BEIR-layout readers and the evaluation harness of `evaluate_matching`.

Metrics (means over the judged queries; a document is relevant when its grade is > 0, and
grades may be decimal, as in BEIR files in the wild):
- nDCG@k with exponential gain 2^grade - 1 (Burges et al.; the same as linear gain for binary
  qrels), the ideal ranking built from the judged grades;
- MRR@k, Recall@k.
They are checked against ranx in tests/matchmaking/test_evaluation.py.

The harness scores each query's candidates with `fusion.score_candidates`, exactly as ranking
does, from `Candidate` objects whose BM25 comes from `index.base.bm25_scores` over exact corpus
statistics (`LexicalStats`), and cosine from unit vectors. It ranks the whole corpus (every
record a candidate) and the two-stage way (dense top-N per model and lexical top-N, then the
same fusion), so the loss from candidate retrieval is measured, not assumed."""

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .index.base import Candidate, LexicalStats, Query, bm25_scores, query_terms

METRIC_KEYS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_qrels(path) -> dict[str, dict[str, float]]:
    """`query-id<TAB>corpus-id<TAB>score` lines (a header line is skipped; TREC's four-column
    `qid iter docid score` layout is read too). Scores may be integers or decimals."""
    qrels: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t") if "\t" in line else line.split()
            if not parts or not line.strip():
                continue
            if len(parts) == 4:
                parts = [parts[0], parts[2], parts[3]]
            grade = _number(parts[-1]) if len(parts) >= 3 else None
            if grade is None:
                if number == 1:
                    continue  # header
                raise ValueError(f"{path}:{number}: expected query-id, corpus-id and a numeric score")
            qrels.setdefault(parts[0], {})[parts[1]] = grade
    return qrels


def ndcg_at(ranked: list, relevant: dict, k: int) -> float:
    gains = [(2 ** relevant[doc] - 1) if relevant.get(doc, 0) > 0 else 0.0 for doc in ranked[:k]]
    dcg = sum(gain / math.log2(i + 2) for i, gain in enumerate(gains))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at(ranked: list, relevant: dict, k: int) -> float:
    for i, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranked: list, relevant: dict, k: int) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def judged_queries(runs: dict, qrels: dict) -> list:
    """Queries that have a run and at least one relevant document."""
    return [q for q in runs if any(g > 0 for g in qrels.get(q, {}).values())]


def metrics(runs: dict[str, list], qrels: dict[str, dict], *, digits: int | None = 4) -> dict[str, float]:
    judged = judged_queries(runs, qrels)
    if not judged:
        return dict.fromkeys(METRIC_KEYS, 0.0)

    def mean(fn, k):
        value = sum(fn(runs[q], qrels[q], k) for q in judged) / len(judged)
        return round(value, digits) if digits is not None else value

    return {
        "ndcg@10": mean(ndcg_at, 10),
        "mrr@10": mean(mrr_at, 10),
        "recall@10": mean(recall_at, 10),
        "recall@100": mean(recall_at, 100),
    }


def write_trec_run(path, runs_with_scores: dict[str, list[tuple]], tag: str) -> None:
    lines = []
    for query_id, ranked in runs_with_scores.items():
        for rank, (doc_id, score) in enumerate(ranked[:100], start=1):
            lines.append(f"{query_id} Q0 {doc_id} {rank} {score:.6f} {tag}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the harness -------------------------------------------------------------------------------


def lexical_stats(token_lists: Sequence[Sequence[str]]) -> LexicalStats:
    """Exact corpus statistics, as an index holding exactly these documents would have."""
    df: Counter = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    lengths = [len(t) for t in token_lists]
    return LexicalStats(
        documents=len(token_lists), average_length=(sum(lengths) / len(lengths)) if lengths else 0.0, df=dict(df)
    )


@dataclass
class Corpus:
    """Documents as an index holds them: tokens, vectors per model, language and owner."""

    ids: list[str]
    languages: list[str]
    owners: list
    token_counts: list[tuple[Counter, int]]
    postings: dict[str, list[int]]
    stats: LexicalStats
    vectors: dict[str, np.ndarray]  # model -> documents x dim, unit rows

    @classmethod
    def build(cls, ids, token_lists, languages, owners, vectors) -> "Corpus":
        postings: dict[str, list[int]] = {}
        for row, tokens in enumerate(token_lists):
            for term in set(tokens):
                postings.setdefault(term, []).append(row)
        return cls(
            ids=list(ids),
            languages=list(languages),
            owners=list(owners),
            token_counts=[(Counter(t), len(t)) for t in token_lists],
            postings=postings,
            stats=lexical_stats(token_lists),
            vectors=vectors,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def all_candidates(self, query: Query) -> list[Candidate]:
        """Every document scored on every signal for `query` (Candidate.id = row number)."""
        terms = query_terms(query.tokens, self.stats)
        rows = sorted({row for term in terms for row in self.postings.get(term, ())})
        bm25 = np.zeros(len(self))
        shared: dict[int, list[str]] = {}
        for row, (score, terms_shared) in zip(
            rows, bm25_scores(terms, (self.token_counts[r] for r in rows), self.stats), strict=True
        ):
            bm25[row] = score
            shared[row] = terms_shared
        cosines = {m: self.vectors[m] @ v for m, v in query.vectors.items() if m in self.vectors}
        return [
            Candidate(
                id=row,
                dense={m: float(c[row]) for m, c in cosines.items()},
                bm25=float(bm25[row]),
                shared_terms=shared.get(row, []),
                language=self.languages[row],
                owner=self.owners[row],
                attrs={},
            )
            for row in range(len(self))
        ]


def two_stage(
    candidates: list[Candidate],
    query: Query,
    *,
    dense_k: int,
    lexical_k: int,
    other_language_k: int = 0,
    other_language_models=(),
) -> list[Candidate]:
    """The candidates the index would return: the dense top `dense_k` under each model the
    query has a vector for (and under `other_language_models` the top `other_language_k` of the
    records in other languages), union the lexical top `lexical_k` (records sharing a term)."""
    chosen: set[int] = set()
    for model in query.vectors:
        by_model = sorted(candidates, key=lambda c: (-c.dense.get(model, -2.0), c.id))
        chosen.update(c.id for c in by_model[:dense_k])
        if model in other_language_models:
            chosen.update(c.id for c in [c for c in by_model if c.language != query.language][:other_language_k])
    lexical = sorted((c for c in candidates if c.bm25 > 0), key=lambda c: (-c.bm25, c.id))
    chosen.update(c.id for c in lexical[:lexical_k])
    return [c for c in candidates if c.id in chosen]


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict:
    """Reliability table (per probability bin: pairs, mean predicted, share relevant) and the
    expected calibration error (pair-weighted mean |predicted - observed|)."""
    table, error = [], 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        predicted, observed = float(probabilities[mask].mean()), float(labels[mask].mean())
        error += n * abs(predicted - observed)
        table.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "pairs": n,
                "predicted": round(predicted, 4),
                "relevant": round(observed, 4),
            }
        )
    total = len(probabilities)
    return {"ece": round(error / total, 4) if total else 0.0, "pairs": total, "table": table}


def owner_scores(hits_scores: np.ndarray, owners: list, top: int = 3) -> dict:
    """Score each owner (an expert) from their documents: best document plus a little
    credit for further strong documents."""
    by_owner: dict = {}
    for score, owner in zip(hits_scores, owners, strict=True):
        if owner is None:
            continue
        by_owner.setdefault(owner, []).append(float(score))
    result = {}
    for owner, scores in by_owner.items():
        scores.sort(reverse=True)
        result[owner] = scores[0] + 0.1 * sum(scores[1:top])
    return result


def dumped_pairs_ndcg10(scores: np.ndarray, dump: dict, *, two_stage: bool = True, queries=None) -> float:
    """Mean nDCG@10 of one score per dumped pair (`evaluate_matching --features-out`: every
    query against the whole corpus), ties broken by document id, the ideal from every graded
    document. `two_stage`: rank only the two-stage candidates, as production does (False: the
    whole corpus, as for a single signal alone); `queries`: only these query numbers."""
    if two_stage:
        scores = np.where(dump["two_stage"], scores, -np.inf)
    order = np.argsort(dump["query"], kind="stable")
    total, counted = 0.0, 0
    for group in np.split(order, np.flatnonzero(np.diff(dump["query"][order])) + 1):
        if queries is not None and dump["query"][group[0]] not in queries:
            continue
        grades = dump["label"][group]
        if not (grades > 0).any():
            continue
        top = group[np.lexsort((dump["doc"][group], -scores[group]))][:10]
        dcg = sum((2 ** dump["label"][i] - 1) / math.log2(r + 2) for r, i in enumerate(top) if dump["label"][i] > 0)
        ideal = np.sort(grades[grades > 0])[::-1][:10]
        total += dcg / sum((2**g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
        counted += 1
    return total / counted if counted else 0.0
