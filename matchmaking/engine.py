"""The hybrid ranker: one code path for matches, search, experts and evaluation.

Components, each in [0, 1] for a (query, document) pair:
- lexical: BM25 over jieba / English tokens, title and keywords weighted up, divided by the
  query's best score;
- topic: cosine in a latent topic space learned from the corpus itself (truncated SVD of the
  BM25 matrix), with the query moved towards its best lexical hits (pseudo-relevance
  feedback). This carries topical similarity in Chinese that word overlap misses;
- dense: cosine of sentence-transformers vectors. Several models may be configured: an
  English pair is scored by an English specialist when there is one (all-MiniLM-L6-v2 is
  better than e5 on English), any other pair by a multilingual model; an English-only model
  never scores a pair with Chinese in it;
- structured: compatibility of field, maturity, transfer modes, price and region.
The fused score is the weighted mean of the components present for the pair; a component's
presence mask may be a per-pair multiplier (an English specialist's dense score weighs
`dense_english` instead of `dense`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds

from .lexical import BM25Index
from .text import tokenize, weighted_document
from .vector_index import VectorIndex

COMPONENTS = ("lexical", "topic", "dense", "structured")


@dataclass
class Record:
    """A document (achievement, expert profile) or a query (need, free text)."""

    id: object
    title: str = ""
    keywords: Sequence[str] = ()
    body: str = ""
    language: str = "zh-hans"
    owner: object = None
    attrs: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(filter(None, [self.title, " ".join(self.keywords), self.body]))

    def tokens(self) -> list[str]:
        return weighted_document(self.title, self.keywords, self.body)


@dataclass(frozen=True)
class Weights:
    lexical: float = 0.35
    topic: float = 0.65
    dense: float = 0.35
    structured: float = 0.3
    # An English specialist's cosine on an English pair is a stronger signal than a multilingual
    # model's: chosen on half of an English set (bench/english_docstring_set.py), checked on the other.
    dense_english: float = 2.5
    version: str = "default-2"

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in COMPONENTS}


@dataclass
class Hit:
    id: object
    rank: int
    score: float
    components: dict
    index: int


def _row_normalise(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class Ranker:
    def __init__(
        self,
        documents: list[Record],
        *,
        vectors: np.ndarray | None = None,
        multilingual: bool = False,
        weights: Weights | None = None,
        topic_dims: int = 96,
        feedback_docs: int = 2,
        feedback_weight: float = 2.0,
        neighbours: int = 5,
        neighbour_weight: float = 1.0,
        structured_fn=None,
    ):
        self.documents = documents
        self.ids = [d.id for d in documents]
        self.weights = weights or Weights()
        self.feedback_docs = feedback_docs
        self.feedback_weight = feedback_weight
        self.structured_fn = structured_fn
        self.doc_tokens = [d.tokens() for d in documents]
        self.bm25 = BM25Index.build(self.doc_tokens, self.ids)
        self.english = np.array([d.language == "en" for d in documents], dtype=bool)
        self.spaces = _dense_spaces(vectors, multilingual)
        self.topic_basis = None
        self.doc_topics = None
        dims = min(topic_dims, len(documents) - 1, self.bm25.weights.shape[1] - 1)
        if dims >= 8:  # a topic space needs a corpus to learn from
            normalised = _row_normalise(self.bm25.weights).astype(np.float64)
            u, s, vt = svds(normalised, k=dims, random_state=0)
            self.topic_basis = vt.astype(np.float32)
            self.doc_topics = _smooth_with_neighbours(
                _unit_rows((u * s).astype(np.float32)), neighbours, neighbour_weight
            )

    # -- components --------------------------------------------------------------------------
    def _lexical(self, queries: list[Record]) -> tuple[np.ndarray, sparse.csr_matrix]:
        query_matrix = sparse.vstack([self.bm25.query_vector(q.tokens()) for q in queries]).tocsr()
        raw = np.asarray((query_matrix @ self.bm25.weights.T).todense(), dtype=np.float32)
        best = raw.max(axis=1, keepdims=True)
        best[best <= 0] = 1.0
        return raw / best, query_matrix

    def _topic(self, query_matrix: sparse.csr_matrix, lexical: np.ndarray) -> np.ndarray | None:
        if self.doc_topics is None:
            return None
        projected = _unit_rows(np.asarray(query_matrix @ self.topic_basis.T, dtype=np.float32))
        k = min(self.feedback_docs, lexical.shape[1])
        if k and self.feedback_weight:
            top = np.argpartition(-lexical, k - 1, axis=1)[:, :k]
            strength = np.take_along_axis(lexical, top, axis=1)
            centroid = _unit_rows((strength[:, :, None] * self.doc_topics[top]).sum(axis=1))
            projected = _unit_rows(projected + self.feedback_weight * centroid)
        return np.clip(projected @ self.doc_topics.T, 0.0, 1.0)

    def _dense(self, queries: list[Record], query_vectors) -> tuple[np.ndarray, np.ndarray] | None:
        query_vectors = _as_spaces(query_vectors, self.spaces)
        usable = [space for space in self.spaces if space.name in query_vectors]
        if not usable:
            return None
        query_english = np.array([q.language == "en" for q in queries], dtype=bool)
        english_pairs = query_english[:, None] & self.english[None, :]
        scores = np.zeros((len(queries), len(self.ids)), dtype=np.float32)
        # The presence mask doubles as a per-pair weight multiplier (see `fuse`).
        present = np.zeros_like(scores)
        specialist_weight = self.weights.dense_english / self.weights.dense if self.weights.dense else 1.0
        # Multilingual models first; an English specialist then takes over the English pairs.
        for space in sorted(usable, key=lambda s: not s.multilingual):
            pairs = np.ones_like(present) if space.multilingual else english_pairs
            if not pairs.any():
                continue
            values = np.clip(space.index.scores(_unit_rows(np.asarray(query_vectors[space.name], np.float32))), 0, 1)
            scores = np.where(pairs, values, scores)
            present = np.where(pairs, 1.0 if space.multilingual else specialist_weight, present)
        return scores, present

    def components(self, queries: list[Record], query_vectors=None) -> dict:
        """name -> (scores, presence mask) for every query x document."""
        lexical, query_matrix = self._lexical(queries)
        present = np.ones_like(lexical, dtype=bool)
        result = {"lexical": (lexical, present)}
        topic = self._topic(query_matrix, lexical)
        if topic is not None:
            result["topic"] = (topic, present)
        dense = self._dense(queries, query_vectors)
        if dense is not None:
            result["dense"] = dense
        if self.structured_fn is not None:
            structured = np.vstack([self.structured_fn(q, self.documents) for q in queries]).astype(np.float32)
            result["structured"] = (np.nan_to_num(structured), ~np.isnan(structured))
        return result

    def fuse(self, components: dict, only: str | None = None) -> np.ndarray:
        total = None
        weight_sum = None
        for name, (scores, mask) in components.items():
            weight = 1.0 if only == name else (0.0 if only else getattr(self.weights, name))
            if weight == 0:
                continue
            if only:  # a single component ranks on its own, even where the fused ranking ignores it
                mask = np.ones_like(mask)
            weighted = weight * mask
            total = weighted * scores if total is None else total + weighted * scores
            weight_sum = weighted.astype(np.float32) if weight_sum is None else weight_sum + weighted
        if total is None:
            first = next(iter(components.values()))[0]
            return np.zeros_like(first)
        weight_sum[weight_sum == 0] = 1.0
        return total / weight_sum

    # -- ranking -----------------------------------------------------------------------------
    def rank(
        self,
        queries: list[Record],
        *,
        query_vectors=None,
        top_k: int = 10,
        only: str | None = None,
        exclude: list[set] | None = None,
        chunk: int = 256,
    ) -> list[list[Hit]]:
        results: list[list[Hit]] = []
        for start in range(0, len(queries), chunk):
            batch = queries[start : start + chunk]
            vectors = _slice_spaces(_as_spaces(query_vectors, self.spaces), start, start + chunk)
            components = self.components(batch, vectors)
            fused = self.fuse(components, only)
            for row in range(len(batch)):
                scores = fused[row]
                if exclude and exclude[start + row]:
                    blocked = [i for i, doc_id in enumerate(self.ids) if doc_id in exclude[start + row]]
                    scores = scores.copy()
                    scores[blocked] = -1.0
                k = min(top_k, len(scores))
                if k == 0:
                    results.append([])
                    continue
                top = np.argpartition(-scores, k - 1)[:k]
                top = top[np.argsort(-scores[top], kind="stable")]
                hits = []
                for rank, index in enumerate(top, start=1):
                    if scores[index] < 0:
                        break
                    parts = {
                        name: round(float(m[0][row, index]), 4) for name, m in components.items() if m[1][row, index]
                    }
                    hits.append(Hit(self.ids[index], rank, round(float(scores[index]), 4), parts, int(index)))
                results.append(hits)
        return results

    def shared_terms(self, query: Record, index: int, limit: int = 8) -> list[str]:
        """The query's terms that also occur in the document, most informative first."""
        document_terms = set(self.doc_tokens[index])
        seen, shared = set(), []
        for token in tokenize(query.text, bigrams=False):
            if token in document_terms and token not in seen:
                seen.add(token)
                column = self.bm25.vocabulary.get(token)
                shared.append((float(self.bm25.idf[column]) if column is not None else 0.0, token))
        shared.sort(key=lambda pair: (-pair[0], pair[1]))
        return [token for _, token in shared[:limit]]


@dataclass
class DenseSpace:
    """The documents' vectors under one model."""

    name: str
    index: VectorIndex
    multilingual: bool


def _dense_spaces(vectors, multilingual: bool) -> list[DenseSpace]:
    """`vectors` is one matrix (with `multilingual` saying whether its model reads Chinese), or
    a list of (model name, matrix, multilingual) for several models."""
    if vectors is None:
        return []
    if isinstance(vectors, np.ndarray):
        vectors = [("default", vectors, multilingual)]
    return [
        DenseSpace(name, VectorIndex(_unit_rows(np.asarray(matrix, dtype=np.float32))), flag)
        for name, matrix, flag in vectors
    ]


def _as_spaces(query_vectors, spaces) -> dict:
    if query_vectors is None:
        return {}
    if isinstance(query_vectors, dict):
        return query_vectors
    return {spaces[0].name: query_vectors} if spaces else {}


def _slice_spaces(query_vectors: dict, start: int, end: int) -> dict:
    return {name: matrix[start:end] for name, matrix in query_vectors.items()}


def _smooth_with_neighbours(topics: np.ndarray, neighbours: int, weight: float, chunk: int = 2048) -> np.ndarray:
    """Move each document towards its nearest neighbours in topic space (the cluster
    hypothesis: documents on one subject sit together), which helps topical matching."""
    count = topics.shape[0]
    k = min(neighbours, count - 1)
    if k <= 0 or weight == 0:
        return topics
    smoothed = np.empty_like(topics)
    for start in range(0, count, chunk):
        block = topics[start : start + chunk] @ topics.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        nearest = np.argpartition(-block, k - 1, axis=1)[:, :k]
        smoothed[start : start + chunk] = topics[start : start + chunk] + weight * topics[nearest].mean(axis=1)
    return _unit_rows(smoothed)


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
