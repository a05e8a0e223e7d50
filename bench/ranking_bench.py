"""Dense retrieval over 100,000 achievements against bare numpy on the same vectors.

- top-20 for one need: the production VectorIndex.search vs a bare matrix-vector product
  plus partial sort (median of repeated queries);
- full refresh of 1,000 needs: VectorIndex.search over the batch vs one matrix product.

    python bench/ranking_bench.py [--achievements 100000] [--needs 1000] [--dim 384] [--json FILE]
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

from _db import print_table, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    from matchmaking.vector_index import VectorIndex

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.achievements, args.dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((args.needs, args.dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    index = VectorIndex(vectors)
    k = args.k

    def bare_topk(q):
        scores = vectors @ q
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top])]

    production, bare = [], []
    for i in range(args.repeats + 3):
        q = queries[i % len(queries)]
        started = time.perf_counter()
        ours = index.search(q, k)[0][0]
        middle = time.perf_counter()
        theirs = bare_topk(q)
        ended = time.perf_counter()
        assert set(ours.tolist()) == set(theirs.tolist())
        if i >= 3:  # warm-up
            production.append((middle - started) * 1000)
            bare.append((ended - middle) * 1000)

    started = time.perf_counter()
    index.search(queries, k)
    full_refresh = time.perf_counter() - started
    started = time.perf_counter()
    product = vectors @ queries.T
    bare_matmul = time.perf_counter() - started
    del product

    figures = {
        "n_achievements": args.achievements,
        "n_needs": args.needs,
        "dim": args.dim,
        "topk_p50_ms": round(float(np.median(production)), 2),
        "bare_numpy_p50_ms": round(float(np.median(bare)), 2),
        "ratio": round(float(np.median(production) / np.median(bare)), 3),
        "full_refresh_s": round(full_refresh, 3),
        "bare_matmul_s": round(bare_matmul, 3),
        "full_refresh_ratio": round(full_refresh / bare_matmul, 3),
        "vectors_mb": round(vectors.nbytes / 1_048_576, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print_table("Top-k retrieval vs bare numpy", figures)
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
