import numpy as np
import pytest

from matchmaking.vector_index import VectorIndex


@pytest.mark.parametrize("n", [10, 1000, 9000, 20_037])
def test_search_returns_exact_top_k_best_first(n):
    rng = np.random.default_rng(n)
    vectors = rng.standard_normal((n, 16)).astype(np.float32)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    k = min(20, n)
    indices, scores = VectorIndex(vectors).search(queries, k, chunk=3)
    exact = queries @ vectors.T
    for row in range(len(queries)):
        expected = np.argsort(-exact[row], kind="stable")[:k]
        assert set(indices[row]) == set(expected)
        assert np.all(np.diff(scores[row]) <= 0)
        assert np.allclose(scores[row], exact[row, indices[row]])


def test_search_with_ties_in_one_block_still_finds_all():
    vectors = np.zeros((10_000, 2), dtype=np.float32)
    vectors[:, 0] = -1.0
    vectors[300:320, 0] = 1.0  # the whole top 20 sits in two neighbouring blocks
    indices, _ = VectorIndex(vectors).search(np.array([[1.0, 0.0]]), 20)
    assert set(indices[0]) == set(range(300, 320))
