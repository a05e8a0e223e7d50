"""BM25 over a sparse document-term matrix.

Scores for a whole batch of (possibly weighted, expanded) queries are one sparse product,
which is what query expansion and a full refresh of every need need. Written here rather
than taken from bm25s because bm25s scores token lists, not weighted query vectors."""

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class BM25Index:
    vocabulary: dict[str, int]
    weights: sparse.csr_matrix  # documents x terms, BM25 term weights
    idf: np.ndarray
    doc_ids: list

    @classmethod
    def build(cls, documents: list[list[str]], doc_ids: list, *, k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, tokens in enumerate(documents):
            tf: dict[int, int] = {}
            for token in tokens:
                column = vocabulary.setdefault(token, len(vocabulary))
                tf[column] = tf.get(column, 0) + 1
            rows.extend([row] * len(tf))
            cols.extend(tf.keys())
            counts.extend(tf.values())
        shape = (len(documents), max(len(vocabulary), 1))
        tf_matrix = sparse.csr_matrix((np.array(counts, dtype=np.float32), (rows, cols)), shape=shape)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        average = float(lengths.mean()) if len(documents) and lengths.mean() > 0 else 1.0
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=shape[1]).astype(np.float32)
        idf = np.log(1.0 + (len(documents) - df + 0.5) / (df + 0.5)).astype(np.float32)
        # BM25 saturation per non-zero entry: tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg))
        norm = (k1 * (1 - b + b * lengths / average)).astype(np.float32)
        coo = tf_matrix.tocoo()
        data = coo.data * (k1 + 1) / (coo.data + norm[coo.row]) * idf[coo.col]
        weights = sparse.csr_matrix((data.astype(np.float32), (coo.row, coo.col)), shape=shape)
        return cls(vocabulary=vocabulary, weights=weights, idf=idf, doc_ids=list(doc_ids))

    def query_vector(self, tokens: list[str] | dict[str, float]) -> sparse.csr_matrix:
        """A sparse (1 x terms) query; a dict gives each term its own weight."""
        items = tokens.items() if isinstance(tokens, dict) else ((t, 1.0) for t in tokens)
        accumulated: dict[int, float] = {}
        for token, weight in items:
            column = self.vocabulary.get(token)
            if column is not None:
                accumulated[column] = accumulated.get(column, 0.0) + weight
        data = np.array(list(accumulated.values()), dtype=np.float32)
        indices = np.array(list(accumulated.keys()), dtype=np.int32)
        return sparse.csr_matrix((data, indices, [0, len(data)]), shape=(1, self.weights.shape[1]))

    def score_matrix(self, queries: list) -> np.ndarray:
        """Dense (queries x documents) BM25 scores."""
        if not queries:
            return np.zeros((0, self.weights.shape[0]), dtype=np.float32)
        stacked = sparse.vstack([self.query_vector(q) for q in queries]).tocsr()
        return np.asarray((stacked @ self.weights.T).todense(), dtype=np.float32)
