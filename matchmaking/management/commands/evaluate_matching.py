"""Evaluate matching on a BEIR-layout set with the production fusion: nDCG@10, MRR@10,
Recall@10/100 for the fused ranking (the production path, retrieval.rank: candidates from an
index, then the fusion; and the same fusion over the whole corpus) and for each single component
alone (dense multilingual, dense English specialist where there are English pairs, lexical); the
calibration of the fused scores; optionally the per-pair features with their labels, for fitting
the fusion (bench/fit_fusion.py)."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from matchmaking import centring, fusion, retrieval
from matchmaking.encoders import get_encoders
from matchmaking.evaluation import (
    METRIC_KEYS,
    Corpus,
    metrics,
    owner_scores,
    read_jsonl,
    read_qrels,
    reliability,
    two_stage,
    write_trec_run,
)
from matchmaking.index.base import IndexEntry, Query
from matchmaking.index.exact import ExactMatchingIndex
from matchmaking.text import weighted_document

KIND = "evaluation"
SHOWN = 20  # matches a broker sees per need: the calibration that matters most


class Command(BaseCommand):
    help = "Evaluate matching quality on a corpus / queries / qrels set (BEIR layout)."

    def add_arguments(self, parser):
        parser.add_argument("--corpus", required=True)
        parser.add_argument("--queries", required=True)
        parser.add_argument("--qrels", required=True)
        parser.add_argument("--target", choices=["documents", "owners"], default="documents")
        parser.add_argument("--language", default="auto", help="zh-hans, en or auto (detect per text)")
        parser.add_argument("--dense-k", type=int, default=None, help="dense candidates per model")
        parser.add_argument("--lexical-k", type=int, default=None, help="lexical candidates")
        parser.add_argument("--run-out", dest="run_out")
        parser.add_argument("--json", dest="json_path")
        parser.add_argument("--features-out", dest="features_out", help=".npz of per-pair features and labels")
        parser.add_argument("--cache", default=str(Path(settings.BASE_DIR) / "var" / "cache" / "eval-vectors"))

    def handle(self, *args, **options):
        for key in ("corpus", "queries", "qrels"):
            if not Path(options[key]).is_file():
                raise CommandError(f"--{key}: no such file: {options[key]}")
        started = time.perf_counter()
        try:
            qrels = read_qrels(options["qrels"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        corpus_rows = read_jsonl(options["corpus"])
        query_rows = read_jsonl(options["queries"])
        target = options["target"]
        dense_k = options["dense_k"] or settings.MATCHING_DENSE_CANDIDATES
        lexical_k = options["lexical_k"] or settings.MATCHING_LEXICAL_CANDIDATES
        setting = options["language"]

        doc_texts = [(d.get("title") or "", d.get("text") or "") for d in corpus_rows]
        languages = [_language(t + b, setting) for t, b in doc_texts]
        owners = [d.get("owner") for d in corpus_rows]
        if target == "owners" and not any(owners):
            raise CommandError('--target owners needs an "owner" on the corpus lines.')
        query_languages = [_language(q["text"], setting) for q in query_rows]
        # An English specialist only ever scores English-English pairs: on a set without any, it
        # is not loaded (production embeds every record under every model; the figures are the same).
        encoders = [e for e in get_encoders() if e.multilingual or ("en" in query_languages and "en" in languages)]
        specialists = {e.name: not e.multilingual for e in encoders}
        self.stdout.write(
            f"Encoding {len(corpus_rows)} documents and {len(query_rows)} queries with "
            + ", ".join(e.name for e in encoders)
            + " ..."
        )
        cache = Path(options["cache"]) if options["cache"] else None
        passages = ["\n".join(filter(None, pair)) for pair in doc_texts]
        doc_vectors = {e.name: _encode(e, passages, "passage", cache) for e in encoders}
        query_texts = [q["text"] for q in query_rows]
        query_vectors = {e.name: _encode(e, query_texts, "query", cache) for e in encoders}
        # As production does (centring.py): each language's mean of the corpus taken out.
        centres = (
            centring.fit_rows({e.name: (doc_vectors[e.name], languages) for e in encoders if e.multilingual})
            if settings.MATCHING_CENTRE_LANGUAGES
            else centring.NONE
        )
        doc_vectors = {m: centres.apply_rows(m, v, languages) for m, v in doc_vectors.items()}
        query_vectors = {m: centres.apply_rows(m, v, query_languages) for m, v in query_vectors.items()}
        doc_tokens = [weighted_document(t, (), b) for t, b in doc_texts]
        corpus = Corpus.build(
            [str(d["_id"]) for d in corpus_rows],
            doc_tokens,
            languages,
            owners,
            doc_vectors,
        )
        # The production path: the corpus in an index, ranked by retrieval.rank (candidates, then
        # the fusion). The exact backend's candidates are the true dense and lexical tops, so the
        # figures do not depend on an approximate index's recall.
        index = ExactMatchingIndex()
        index.upsert(
            [
                IndexEntry(
                    kind=KIND,
                    id=row,
                    tokens=tokens,
                    vectors={m: doc_vectors[m][row] for m in doc_vectors},
                    language=languages[row],
                    owner=owners[row],
                )
                for row, tokens in enumerate(doc_tokens)
            ]
        )
        model = fusion.DEFAULT_MODEL if centres.centred else fusion.RAW_MODEL
        variants = ("hybrid", "hybrid_whole_corpus", "dense", "dense_en", "lexical")
        runs: dict[str, dict] = {v: {} for v in variants}
        scored_runs: dict[str, list] = {}
        shown_p, shown_y, all_p, all_y = [], [], [], []
        dump = {"x": [], "label": [], "query": [], "doc": [], "two_stage": []}
        multilingual = next((e.name for e in encoders if e.multilingual), None)
        english = next((e.name for e in encoders if not e.multilingual), None)
        english_queries = 0
        candidate_counts = override_settings(MATCHING_DENSE_CANDIDATES=dense_k, MATCHING_LEXICAL_CANDIDATES=lexical_k)
        candidate_counts.enable()
        for qi, row in enumerate(query_rows):
            qid = str(row["_id"])
            language = query_languages[qi]
            vectors = {e.name: query_vectors[e.name][qi] for e in encoders if e.multilingual or language == "en"}
            query = Query(tokens=weighted_document("", (), row["text"]), vectors=vectors, language=language)
            everything = corpus.all_candidates(query)
            fused = retrieval.rank(KIND, query, top_k=100, index=index, model=model, models=specialists)
            whole = fusion.score_candidates(query, everything, corpus.stats, specialists, model)
            grades = qrels.get(qid, {})
            if options["features_out"] and grades:
                in_two_stage = np.zeros(len(whole), dtype=bool)
                chosen = two_stage(
                    everything,
                    query,
                    dense_k=dense_k,
                    lexical_k=lexical_k,
                    **retrieval.other_language(query, specialists),
                )
                in_two_stage[[c.id for c in chosen]] = True
                rows = np.array([p.candidate.id for p in whole])
                dump["x"].append(np.vstack([p.features for p in whole]))
                dump["label"].append(np.array([grades.get(corpus.ids[r], 0.0) for r in rows]))
                dump["query"].append(np.full(len(whole), qi))
                dump["doc"].append(rows)
                dump["two_stage"].append(in_two_stage[rows])
            if grades:
                labels = np.array([grades.get(corpus.ids[p.candidate.id], 0.0) > 0 for p in fused], dtype=float)
                probabilities = np.array([p.score for p in fused])
                all_p.append(probabilities)
                all_y.append(labels)
                shown_p.append(probabilities[:SHOWN])
                shown_y.append(labels[:SHOWN])
            pair_scores = {
                "hybrid": [(p.candidate, p.score) for p in fused],
                "hybrid_whole_corpus": [(p.candidate, p.score) for p in whole],
                "lexical": [(c, c.bm25) for c in everything],
            }
            if multilingual:
                pair_scores["dense"] = [(c, c.dense[multilingual]) for c in everything]
            if english and english in vectors:
                english_queries += 1
                pair_scores["dense_en"] = [(c, c.dense[english]) for c in everything]
            for variant, pairs in pair_scores.items():
                ranked = _ranked(pairs, corpus, target)
                runs[variant][qid] = [doc for doc, _ in ranked]
                if variant == "hybrid":
                    scored_runs[qid] = ranked

        candidate_counts.disable()
        results = {v: metrics(r, qrels) for v, r in runs.items() if r}
        whole_recall = results["hybrid_whole_corpus"]["recall@100"]
        results["candidates"] = {
            "dense_k": dense_k,
            "lexical_k": lexical_k,
            "other_language_k": settings.MATCHING_OTHER_LANGUAGE_CANDIDATES,
            "recall@100_two_stage": results["hybrid"]["recall@100"],
            "recall@100_whole_corpus": whole_recall,
            "ratio": round(results["hybrid"]["recall@100"] / whole_recall, 4) if whole_recall else None,
        }
        if all_p:
            results["calibration"] = {
                f"top{SHOWN}": reliability(np.concatenate(shown_p), np.concatenate(shown_y)),
                "top100": reliability(np.concatenate(all_p), np.concatenate(all_y)),
            }
        results["setup"] = {
            "documents": len(corpus),
            "queries": len(query_rows),
            "english_queries": english_queries,
            "models": [e.name for e in encoders],
            "fusion": model.version,
            "centred_languages": sorted(next(iter(centres.counts.values()), {})),
            "target": target,
            "seconds": round(time.perf_counter() - started, 1),
        }
        self._print(results)
        if options["run_out"]:
            write_trec_run(options["run_out"], scored_runs, tag="techbridge-hybrid")
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if options["features_out"] and dump["x"]:
            np.savez_compressed(
                options["features_out"],
                features=np.array(fusion.FEATURES),
                **{k: np.concatenate(v) for k, v in dump.items()},
            )

    def _print(self, results):
        self.stdout.write(f"{'variant':<22}{'nDCG@10':>10}{'MRR@10':>10}{'R@10':>10}{'R@100':>10}")
        for variant, figures in results.items():
            if isinstance(figures, dict) and "ndcg@10" in figures:
                self.stdout.write(f"{variant:<22}" + "".join(f"{figures[k]:>10.4f}" for k in METRIC_KEYS))
        c = results["candidates"]
        self.stdout.write(
            f"two-stage Recall@100 {c['recall@100_two_stage']:.4f} vs whole corpus {c['recall@100_whole_corpus']:.4f}"
            f" (ratio {c['ratio']}, dense_k {c['dense_k']}, lexical_k {c['lexical_k']})"
        )
        if "calibration" in results:
            cal = results["calibration"]
            self.stdout.write(f"ECE top-{SHOWN} {cal[f'top{SHOWN}']['ece']:.4f}, top-100 {cal['top100']['ece']:.4f}")
        s = results["setup"]
        self.stdout.write(f"{s['documents']} documents, {s['queries']} queries, {s['seconds']} s, fusion {s['fusion']}")


def _ranked(pairs, corpus: Corpus, target: str) -> list[tuple]:
    """(id, score) best first, top 100: documents, or owners from their documents' scores."""
    if target == "owners":
        scores = np.array([s for _, s in pairs], dtype=float)
        owners = [c.owner for c, _ in pairs]
        return sorted(owner_scores(scores, owners).items(), key=lambda p: (-p[1], str(p[0])))[:100]
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0].id))[:100]
    return [(corpus.ids[c.id], float(s)) for c, s in ordered]


def _encode(encoder, texts: list[str], side: str, cache: Path | None) -> np.ndarray:
    """Vectors for `texts`, cached on disk by model, side and text (the dev sets are encoded
    once, then every re-run and every fusion change reuses them)."""
    digest = hashlib.sha256()
    digest.update(f"{encoder.name}\0{_fingerprint(encoder.name)}\0{side}\0".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    path = cache / f"{digest.hexdigest()[:32]}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path)
    encode = encoder.encode_queries if side == "query" else encoder.encode_passages
    vectors = np.asarray(encode(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def _fingerprint(name: str) -> str:
    """Size and modification time of a local model's weights, so a rebuilt model is re-encoded."""
    directory = Path(name)
    if not directory.is_dir():
        return ""
    return ";".join(
        f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in sorted(directory.glob("*.safetensors"))
    )


def _language(text: str, setting: str) -> str:
    if setting != "auto":
        return setting
    from core.text import detect_language

    return detect_language(text) or "en"
