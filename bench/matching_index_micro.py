"""Micro-benchmark of the local matching index (matchmaking/index/local.py) on random data.

Random unit vectors are the hardest case for a graph index (no structure to exploit), so the
recall measured here is a floor for real embeddings. Prints JSON:

- build_s: upserting every record through the journal (batches of 1,000), as a bulk (re)index does;
- dense_recall_at_20: top-20 by the HNSW graph vs exact numpy search, averaged over the queries;
- dense_p50_ms / dense_p95_ms: one query's dense top-20 (candidates(), dense only);
- bare_numpy_p50_ms: exact top-20 with one numpy mat-vec and argpartition over the same vectors;
- candidates_p50_ms: dense top-100 per model plus lexical top-100, every candidate scored;
- update_one_ms: one record replaced (journal append, index updates);
- snapshot_s / open_s: writing a snapshot; a new process opening it (no journal tail);
- memory: usearch's own figure, the process's RSS growth, per 100,000 records.

    python bench/matching_index_micro.py --n 100000 --dim 384 [--tokens 150] [--json FILE]
    python bench/matching_index_micro.py --n 100000 --sweep 64,128,256,512   (expansion_search)
"""

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaking.index import local  # noqa: E402
from matchmaking.index.base import IndexEntry, Query  # noqa: E402

KIND = "achievement"
MODEL = "m"


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def unit_rows(rng, n, dim):
    rows = rng.standard_normal((n, dim), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--tokens", type=int, default=150, help="tokens per record (Zipf over 60,000 terms)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--connectivity", type=int, default=local.CONNECTIVITY)
    parser.add_argument("--expansion-add", type=int, default=local.EXPANSION_ADD)
    parser.add_argument("--expansion-search", type=int, default=local.EXPANSION_SEARCH)
    parser.add_argument("--sweep", default="", help="comma-separated expansion_search values to measure")
    parser.add_argument("--dir", default="", help="keep the index here (default: a temporary directory)")
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    vectors = unit_rows(rng, args.n, args.dim)
    queries = unit_rows(rng, args.queries, args.dim)
    vocabulary = [f"w{i}" for i in range(60_000)]
    directory = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="matching-index-bench-"))
    base_rss = rss_mb()
    index = local.LocalMatchingIndex(
        directory,
        snapshot_every=0,
        connectivity=args.connectivity,
        expansion_add=args.expansion_add,
        expansion_search=args.expansion_search,
    )
    started = time.perf_counter()
    if not index.count(KIND):
        for start in range(0, args.n, 1000):
            stop = min(start + 1000, args.n)
            ranks = np.minimum(rng.zipf(1.2, size=(stop - start, args.tokens)), len(vocabulary)) - 1
            index.upsert(
                [
                    IndexEntry(KIND, i, [vocabulary[r] for r in ranks[i - start]], {MODEL: vectors[i]})
                    for i in range(start, stop)
                ]
            )
    build_s = time.perf_counter() - started
    built_rss = rss_mb()

    truth = [set(np.argpartition(-(vectors @ q), 20)[:20].tolist()) for q in queries]

    def bare(q):
        scores = vectors @ q
        return np.argpartition(-scores, 20)[:20]

    def measure(function):
        times = []
        for q in queries:
            t = time.perf_counter()
            function(q)
            times.append(time.perf_counter() - t)
        return float(np.median(times) * 1e3), float(np.percentile(times, 95) * 1e3)

    def dense_run():
        hits, times = 0, []
        for q, expected in zip(queries, truth, strict=True):
            t = time.perf_counter()
            found = index.candidates(KIND, Query([], {MODEL: q}), dense_k=20, lexical_k=0)
            times.append(time.perf_counter() - t)
            hits += len({c.id for c in found} & expected)
        return hits / (20 * len(queries)), float(np.median(times) * 1e3), float(np.percentile(times, 95) * 1e3)

    result = {
        "n": args.n,
        "dim": args.dim,
        "tokens": args.tokens,
        "connectivity": args.connectivity,
        "expansion_add": args.expansion_add,
        "build_s": round(build_s, 1),
    }
    numpy_p50, _ = measure(bare)
    sweep = [int(x) for x in args.sweep.split(",") if x] or [args.expansion_search]
    result["sweep"] = []
    for ef in sweep:
        for vector_index in index._vectors.values():
            vector_index.expansion_search = ef
        recall, p50, p95 = dense_run()
        row = {
            "expansion_search": ef,
            "dense_recall_at_20": round(recall, 4),
            "dense_p50_ms": round(p50, 3),
            "dense_p95_ms": round(p95, 3),
        }
        result["sweep"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    for vector_index in index._vectors.values():
        vector_index.expansion_search = args.expansion_search
    result["bare_numpy_p50_ms"] = round((numpy_p50 + measure(bare)[0]) / 2, 3)

    def full(q):
        tokens = [vocabulary[r] for r in np.minimum(rng.zipf(1.2, size=40), len(vocabulary)) - 1]
        return index.candidates(KIND, Query(tokens, {MODEL: q}), dense_k=100, lexical_k=100)

    result["candidates_p50_ms"], result["candidates_p95_ms"] = (round(x, 3) for x in measure(full))
    times = []
    for _ in range(50):
        record = int(rng.integers(0, args.n))
        tokens = [vocabulary[r] for r in np.minimum(rng.zipf(1.2, size=args.tokens), len(vocabulary)) - 1]
        t = time.perf_counter()
        index.upsert([IndexEntry(KIND, record, tokens, {MODEL: unit_rows(rng, 1, args.dim)[0]})])
        times.append(time.perf_counter() - t)
    result["update_one_ms"] = round(float(np.median(times) * 1e3), 2)
    t = time.perf_counter()
    index.snapshot()
    result["snapshot_s"] = round(time.perf_counter() - t, 2)
    vector_bytes = sum(v.memory_usage for v in index._vectors.values())
    index.close()
    t = time.perf_counter()
    reopened = local.LocalMatchingIndex(directory)
    result["open_s"] = round(time.perf_counter() - t, 2)
    reopened.close()
    scale = 100_000 / args.n
    result["usearch_mb_per_100k"] = round(vector_bytes / 2**20 * scale, 1)
    result["rss_growth_mb_per_100k"] = round((built_rss - base_rss - vectors.nbytes / 2**20) * scale, 1)
    result["snapshot_mb"] = round(sum(p.stat().st_size for p in (directory / "snapshots").rglob("*")) / 2**20, 1)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if not args.dir:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
