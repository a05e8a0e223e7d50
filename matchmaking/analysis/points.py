"""A need's technical points: its sentences grouped into distinct sub-problems.

Needs state their sub-problems one after another, usually announced (另外, 此外, 其次, 最后, 一是,
(2), Also, Finally ...). A point starts at such a marker, or where the meaning shifts: the cosine
between neighbouring sentences falls well below the text's usual one (more than one standard
deviation under the mean of the neighbouring pairs, TextTiling's depth rule; whole-sentence e5
vectors of one need sit at 0.85-0.95 whatever the topic, so a fixed cut does not separate them).
Sentences shorter than MIN_SENTENCE_CHARS join their neighbour; more than MAX_POINTS points are
merged where neighbours are most alike."""

import re

import numpy as np

_SENTENCE_END = re.compile(r"(?<=[。！？；;!?])|(?<=\.)\s+|\n+")
_MARKER = re.compile(
    r"^\s*(另外|此外|其次|再次|再者|最后|还有|与此同时|第[一二三四五六七八九十][，,、：:是]|[一二三四五六七八九十]是|"
    r"[（(]\s*\d+\s*[)）]|\d+\s*[、)）]|\d+[.．](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|"
    r"also\b|additionally\b|in addition\b|moreover\b|furthermore\b|second(ly)?\b|third(ly)?\b|finally\b|lastly\b)",
    re.IGNORECASE,
)
MIN_SENTENCE_CHARS = 8
MAX_POINTS = 6
SHIFT_DEVIATIONS = 1.0
MIN_SENTENCES_FOR_SHIFTS = 5  # fewer neighbour pairs give no usable mean and deviation


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


def group(parts: list[str], vectors: np.ndarray | None = None) -> list[list[int]]:
    """Runs of sentence positions, one per point, in text order."""
    count = len(parts)
    if count <= 1:
        return [list(range(count))] if count else []
    starts = {0} | {i for i in range(1, count) if _MARKER.match(parts[i])}
    if vectors is not None and len(vectors) == count and count >= MIN_SENTENCES_FOR_SHIFTS:
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        neighbours = np.einsum("ij,ij->i", unit[:-1], unit[1:])
        cut = neighbours.mean() - SHIFT_DEVIATIONS * neighbours.std()
        starts |= {i + 1 for i, value in enumerate(neighbours) if value < cut}
    bounds = sorted(starts) + [count]
    runs = [list(range(a, b)) for a, b in zip(bounds, bounds[1:], strict=False)]
    while len(runs) > MAX_POINTS:
        runs = _merge_closest(runs, vectors)
    return runs


def _merge_closest(runs: list[list[int]], vectors) -> list[list[int]]:
    """Join the two neighbouring runs that are most alike (by mean vector, else the shortest pair)."""
    if vectors is not None:
        means = [vectors[r].mean(axis=0) for r in runs]
        means = [m / max(float(np.linalg.norm(m)), 1e-12) for m in means]
        alike = [float(means[i] @ means[i + 1]) for i in range(len(runs) - 1)]
    else:
        alike = [-(len(runs[i]) + len(runs[i + 1])) for i in range(len(runs) - 1)]
    i = int(np.argmax(alike))
    return runs[:i] + [runs[i] + runs[i + 1]] + runs[i + 2 :]
