"""Retrieval metrics and BEIR-layout readers for `evaluate_matching`."""

import json
import math
from pathlib import Path


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            parts = line.rstrip("\n").split("\t")
            if number == 0 and not parts[-1].lstrip("-").isdigit():
                continue  # header
            if len(parts) < 3:
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def ndcg_at(ranked: list, relevant: dict, k: int) -> float:
    dcg = sum((2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
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


def metrics(runs: dict[str, list], qrels: dict[str, dict]) -> dict[str, float]:
    judged = [q for q in runs if q in qrels]
    if not judged:
        return {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@10": 0.0, "recall@100": 0.0}

    def mean(fn, k):
        return round(sum(fn(runs[q], qrels[q], k) for q in judged) / len(judged), 4)

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
