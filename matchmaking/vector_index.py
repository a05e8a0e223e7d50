"""Exact inner-product search over unit vectors.

One contiguous float32 matrix; a query batch is one matrix product, then a partial sort.
Past a few million vectors an approximate index (FAISS, HNSW) can stand behind the same two
methods without the ranker changing."""

import numpy as np


class VectorIndex:
    def __init__(self, vectors: np.ndarray):
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """Inner products of every query with every vector (queries x vectors)."""
        return np.asarray(queries, dtype=np.float32) @ self.matrix.T

    def search(self, queries: np.ndarray, k: int, *, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """The k best vectors per query, best first: (indices, scores), each queries x k."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = min(k, len(self))
        indices = np.empty((queries.shape[0], k), dtype=np.int64)
        scores = np.empty((queries.shape[0], k), dtype=np.float32)
        for start in range(0, queries.shape[0], chunk):
            block = self.scores(queries[start : start + chunk])
            top = _top_k_unordered(block, k)
            top_scores = np.take_along_axis(block, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            indices[start : start + chunk] = np.take_along_axis(top, order, axis=1)
            scores[start : start + chunk] = np.take_along_axis(top_scores, order, axis=1)
        return indices, scores


BLOCK = 128


def _top_k_unordered(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k largest scores (in no order).

    For long rows, first keep the k blocks of 128 columns with the highest maxima: every
    top-k score lies in one of them (a block holding a top-k score has a maximum at least
    that high, and fewer than k blocks can beat it), so the exact selection then runs on
    k x 128 candidates instead of the whole row."""
    rows, n = scores.shape
    if n <= 64 * BLOCK or k * BLOCK * 4 > n:
        return np.argpartition(-scores, k - 1, axis=1)[:, :k]
    usable = n - n % BLOCK
    maxima = scores[:, :usable].reshape(rows, usable // BLOCK, BLOCK).max(axis=2)
    best_blocks = np.argpartition(-maxima, k - 1, axis=1)[:, :k]
    candidates = (best_blocks[:, :, None] * BLOCK + np.arange(BLOCK)).reshape(rows, -1)
    if usable < n:  # the tail that does not fill a block is always a candidate
        tail = np.broadcast_to(np.arange(usable, n), (rows, n - usable))
        candidates = np.concatenate([candidates, tail], axis=1)
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    chosen = np.argpartition(-candidate_scores, k - 1, axis=1)[:, :k]
    return np.take_along_axis(candidates, chosen, axis=1)
