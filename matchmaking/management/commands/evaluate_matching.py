"""Evaluate the production ranker on a BEIR-layout set: nDCG@10, MRR@10, Recall@10/100 for
the hybrid and for dense-only and lexical-only."""

import json
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from matchmaking.encoders import get_encoders
from matchmaking.engine import Ranker, Record, owner_scores
from matchmaking.evaluation import metrics, read_jsonl, read_qrels, write_trec_run
from matchmaking.ranking import active_weights


class Command(BaseCommand):
    help = "Evaluate matching quality on a corpus / queries / qrels set (BEIR layout)."

    def add_arguments(self, parser):
        parser.add_argument("--corpus", required=True)
        parser.add_argument("--queries", required=True)
        parser.add_argument("--qrels", required=True)
        parser.add_argument("--target", choices=["documents", "owners"], default="documents")
        parser.add_argument("--language", default="auto", help="zh-hans, en or auto (detect per text)")
        parser.add_argument("--run-out", dest="run_out")
        parser.add_argument("--json", dest="json_path")

    def handle(self, *args, **options):
        for key in ("corpus", "queries", "qrels"):
            if not Path(options[key]).is_file():
                raise CommandError(f"--{key}: no such file: {options[key]}")
        started = time.perf_counter()
        corpus = read_jsonl(options["corpus"])
        queries = read_jsonl(options["queries"])
        qrels = read_qrels(options["qrels"])
        language = options["language"]
        documents = [
            Record(
                id=str(d["_id"]),
                title=d.get("title", ""),
                body=d.get("text", ""),
                owner=d.get("owner"),
                language=_language(d.get("title", "") + d.get("text", ""), language),
            )
            for d in corpus
        ]
        query_records = [
            Record(id=str(q["_id"]), body=q["text"], language=_language(q["text"], language)) for q in queries
        ]
        encoders = get_encoders()
        names = ", ".join(e.name for e in encoders)
        self.stdout.write(f"Encoding {len(documents)} documents and {len(queries)} queries with {names} ...")
        spaces = [(e.name, e.encode_passages([d.text for d in documents]), e.multilingual) for e in encoders]
        query_vectors = {e.name: e.encode_queries([q.body for q in query_records]) for e in encoders}
        ranker = Ranker(documents, vectors=spaces, weights=active_weights())
        owners = [d.owner for d in documents]
        if options["target"] == "owners" and not any(owners):
            raise CommandError('--target owners needs an "owner" on the corpus lines.')

        results, hybrid_scored = {}, {}
        components_by_chunk = []
        for start in range(0, len(query_records), 256):
            batch = query_records[start : start + 256]
            chunk_vectors = {name: matrix[start : start + 256] for name, matrix in query_vectors.items()}
            components_by_chunk.append((batch, ranker.components(batch, chunk_vectors)))
        for variant in ("hybrid", "dense", "lexical"):
            only = None if variant == "hybrid" else variant
            runs = {}
            for batch, components in components_by_chunk:
                if only and only not in components:
                    continue
                fused = ranker.fuse(components, only)
                for row, query in enumerate(batch):
                    ranked = self._ranked(fused[row], ranker.ids, owners, options["target"])
                    runs[query.id] = [doc_id for doc_id, _ in ranked]
                    if variant == "hybrid":
                        hybrid_scored[query.id] = ranked
            results[variant] = metrics(runs, qrels)

        elapsed = time.perf_counter() - started
        self.stdout.write(f"{'variant':<10}{'nDCG@10':>10}{'MRR@10':>10}{'R@10':>10}{'R@100':>10}")
        for variant, figures in results.items():
            self.stdout.write(
                f"{variant:<10}"
                + "".join(f"{figures[k]:>10.4f}" for k in ("ndcg@10", "mrr@10", "recall@10", "recall@100"))
            )
        self.stdout.write(
            f"{len(documents)} documents, {len(queries)} queries, {elapsed:.1f} s, weights {active_weights().version}"
        )
        if options["run_out"]:
            write_trec_run(options["run_out"], hybrid_scored, tag="techbridge-hybrid")
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, indent=2))

    @staticmethod
    def _ranked(scores: np.ndarray, ids: list, owners: list, target: str) -> list[tuple]:
        if target == "owners":
            ranked = sorted(owner_scores(scores, owners).items(), key=lambda pair: -pair[1])
            return ranked[:100]
        k = min(100, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top]


def _language(text: str, setting: str) -> str:
    if setting != "auto":
        return setting
    han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return "zh-hans" if han * 4 >= len(text.strip()) * 1 and han > 0 else "en"
