"""A need's technical points: its sentences grouped by meaning into distinct sub-problems.

Sentences are split at Chinese and English sentence ends; very short ones join their neighbour.
With sentence vectors, sentences are grouped by average-linkage clustering on cosine distance,
cut where groups are less alike than POINT_DISTANCE; without vectors (a cold process), by shared
words. Points keep the order in which the text first raises them."""

import re

import numpy as np

_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])|(?<=\.)\s+|\n+")
MIN_SENTENCE_CHARS = 8
MAX_POINTS = 6
# e5 cosines between sentences of one text sit around 0.80-0.90; sentences about different
# sub-problems of a need fall below about 0.84.
POINT_DISTANCE = 0.16
LEXICAL_DISTANCE = 0.9


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text or "") if p and p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and (len(merged[-1]) < MIN_SENTENCE_CHARS or len(part) < MIN_SENTENCE_CHARS // 2):
            merged[-1] = f"{merged[-1]}{'' if _is_han(merged[-1][-1]) else ' '}{part}"
        else:
            merged.append(part)
    if len(merged) > 1 and len(merged[-1]) < MIN_SENTENCE_CHARS:
        last = merged.pop()
        merged[-1] = f"{merged[-1]}{last}"
    return merged


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or ch in "。！？；，"


def group(count: int, vectors: np.ndarray | None = None, tokens: list[list[str]] | None = None) -> list[list[int]]:
    """Groups of sentence positions, each in text order, groups ordered by first sentence."""
    if count <= 1:
        return [list(range(count))] if count else []
    from scipy.cluster.hierarchy import fcluster, linkage

    if vectors is not None and len(vectors) == count:
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        distances = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
        threshold = POINT_DISTANCE
    else:
        sets = [set(t) for t in (tokens or [[] for _ in range(count)])]
        distances = np.array(
            [
                [1.0 - len(a & b) / max(len(a | b), 1) if i != j else 0.0 for j, b in enumerate(sets)]
                for i, a in enumerate(sets)
            ]
        )
        threshold = LEXICAL_DISTANCE
    condensed = distances[np.triu_indices(count, k=1)]
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=threshold, criterion="distance")
    if labels.max() > MAX_POINTS:
        labels = fcluster(tree, t=MAX_POINTS, criterion="maxclust")
    groups: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        groups.setdefault(int(label), []).append(position)
    return sorted(groups.values(), key=lambda members: members[0])
