"""Measure need analysis on labelled data: field suggestions and key terms.

    python manage.py evaluate_analysis --labelled corpus.jsonl --test test.jsonl [--json FILE]

`corpus.jsonl`: the labelled records the platform would learn from, {"_id", "title", "text",
"label"} (and "keywords" where the records have them: the platform's achievements and needs do,
and the key-term scorer is then learned from them, as on the platform); `test.jsonl`: {"_id",
"title", "text", "label", "keywords"}. Runs the production code: `learned.build` over the corpus
(as `build_from_platform` does over the platform's records) and `analyse.terms_and_fields` on each
test record encoded as a draft is. Baselines in the same run: kNN over TF-IDF for the field,
jieba's `extract_tags` for the terms. Key terms are compared exactly (English lower-cased)."""

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from matchmaking.analysis.analyse import terms_and_fields
from matchmaking.analysis.learned import (
    MIN_KEYWORD_RECORDS,
    LabelledRecord,
    build,
    default_fitted_on,
    field_name_vectors,
    record_digest,
)
from matchmaking.analysis.terms import TOP_TERMS, f1_at
from matchmaking.embeddings import achievement_text
from matchmaking.encoders import get_encoders
from matchmaking.evaluation import reliability
from matchmaking.text import tokenize, weighted_document

BASELINE_NEIGHBOURS = 10


def read_lines(path: str, required: tuple[str, ...]) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from error
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CommandError(f"{path}, line {number}: not JSON ({error.msg})") from error
        missing = [key for key in required if key not in row]
        if not isinstance(row, dict) or missing:
            raise CommandError(f"{path}, line {number}: missing {', '.join(missing) or 'an object'}")
        rows.append(row)
    if not rows:
        raise CommandError(f"{path}: no records")
    return rows


class VectorCache:
    """Vectors per model, side and text on disk: re-runs and cross-validation folds encode each
    text once."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def encode(self, encoder, texts: list[str], side: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        store = self._load(encoder, side)
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in store}.items())
        if missing:
            encode = encoder.encode_queries if side == "query" else encoder.encode_passages
            vectors = encode([t for _, t in missing])
            store.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
            self._save(encoder, side, store)
        return np.stack([store[k] for k in keys]).astype(np.float64)

    def _path(self, encoder, side: str) -> Path | None:
        if self.directory is None:
            return None
        name = hashlib.sha256(f"{encoder.name}\0{side}".encode()).hexdigest()[:16]
        return self.directory / f"analysis-{name}.npz"

    def _load(self, encoder, side):
        path = self._path(encoder, side)
        if path is None or not path.exists():
            return {}
        with np.load(path) as data:
            return {k: data[k] for k in data.files}

    def _save(self, encoder, side, store):
        path = self._path(encoder, side)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, **store)


def tfidf_knn(corpus_tokens, corpus_labels, test_tokens) -> list[list[str]]:
    """The field baseline: the labels of the ten nearest corpus records under TF-IDF cosine,
    weighted by similarity, best first."""
    df = Counter(t for tokens in corpus_tokens for t in set(tokens))
    n = len(corpus_tokens)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}

    def vector(tokens):
        counted = Counter(t for t in tokens if t in idf)
        weights = {t: (1 + math.log(c)) * idf[t] for t, c in counted.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    corpus = [vector(t) for t in corpus_tokens]
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, weights in enumerate(corpus):
        for term, weight in weights.items():
            postings.setdefault(term, []).append((i, weight))
    ranked = []
    for tokens in test_tokens:
        scores: Counter = Counter()
        for term, weight in vector(tokens).items():
            for i, other in postings.get(term, ()):
                scores[i] += weight * other
        votes: Counter = Counter()
        for i, score in scores.most_common(BASELINE_NEIGHBOURS):
            votes[corpus_labels[i]] += score
        ranked.append([label for label, _ in votes.most_common()])
    return ranked


class Command(BaseCommand):
    help = "Measure need analysis (field suggestions, key terms) on labelled JSONL files."

    def add_arguments(self, parser):
        parser.add_argument("--labelled", required=True, help="the labelled records to learn from (JSONL)")
        parser.add_argument("--test", required=True, help="the records to analyse, with label and keywords (JSONL)")
        parser.add_argument("--json", help="write the figures to this file")
        parser.add_argument("--cache", default=str(Path(settings.BASE_DIR) / "var" / "cache" / "analysis-vectors"))

    def handle(self, *args, **options):
        corpus = read_lines(options["labelled"], ("title", "text", "label"))
        tests = read_lines(options["test"], ("title", "text", "label", "keywords"))
        cache = VectorCache(Path(options["cache"]) if options["cache"] else None)
        encoders = [e for e in get_encoders() if e.multilingual] or get_encoders()
        self.stdout.write(
            f"Learning from {len(corpus)} labelled records, analysing {len(tests)} with "
            + ", ".join(e.name for e in encoders)
            + " ..."
        )
        passages = [
            achievement_text(SimpleNamespace(title=r["title"], keywords=r.get("keywords") or [], abstract=r["text"]))
            for r in corpus
        ]
        corpus_vectors = {e.name: cache.encode(e, passages, "passage") for e in encoders}
        records = [
            LabelledRecord(
                r["title"],
                r["text"],
                str(r["label"]),
                list(r.get("keywords") or []),
                weighted_document(r["title"], r.get("keywords") or [], r["text"]),
                {name: vectors[i] for name, vectors in corpus_vectors.items()},
            )
            for i, r in enumerate(corpus)
        ]
        codes = sorted({r.label for r in records})
        learned = build(records, codes=codes, name_vectors=field_name_vectors(codes, codes, encoders))
        if learned.terms_check.get("scorer") != "platform":
            seen = default_fitted_on() & {record_digest(r["title"], r["text"]) for r in tests}
            if seen:
                raise CommandError(
                    f"{len(seen)} test records are among those the shipped key-term scorer was fitted on "
                    f"(csl-dev), and no scorer of the labelled records' own replaces it "
                    f"({learned.terms_check.get('reason') or 'it did no better on their held-out records'}): the "
                    "key-term figure would not be held out. Give the corpus lines their keywords, at least "
                    f"{MIN_KEYWORD_RECORDS} (bench/analysis_cv.py does)."
                )
        drafts = [f"{r['title']}\n{r['text']}" for r in tests]
        test_vectors = {e.name: cache.encode(e, drafts, "query") for e in encoders}

        top1 = top3 = 0
        f1s, confidences, right = [], [], []
        for i, row in enumerate(tests):
            vectors = {name: matrix[i] for name, matrix in test_vectors.items()}
            found, fields = terms_and_fields(row["title"], row["text"], vectors, learned, terms=TOP_TERMS, fields=3)
            codes_found = [code for code, _ in fields]
            top1 += bool(codes_found[:1] == [str(row["label"])])
            if fields:
                confidences.append(fields[0][1])
                right.append(float(codes_found[0] == str(row["label"])))
            top3 += str(row["label"]) in codes_found[:3]
            f1s.append(f1_at([t["term"] for t in found], row["keywords"]))

        import jieba.analyse

        baseline_fields = tfidf_knn(
            [tokenize(f"{r['title']}\n{r['text']}") for r in corpus],
            [str(r["label"]) for r in corpus],
            [tokenize(d) for d in drafts],
        )
        baseline_top1 = sum(bool(b[:1] == [str(r["label"])]) for b, r in zip(baseline_fields, tests, strict=True))
        baseline_f1 = [
            f1_at(jieba.analyse.extract_tags(f"{r['title']}。{r['text']}", topK=TOP_TERMS), r["keywords"])
            for r in tests
        ]
        n = len(tests)
        figures = {
            "n": n,
            "field_accuracy": round(top1 / n, 4),
            "field_top3_accuracy": round(top3 / n, 4),
            "keyphrase_f1_at_5": round(float(np.mean(f1s)), 4),
            # expected calibration error of the top field's confidence (10 bins)
            "field_confidence_ece": reliability(np.asarray(confidences), np.asarray(right))["ece"],
            "field_confidence_mean": round(float(np.mean(confidences)), 4) if confidences else None,
            "baseline_field_accuracy": round(baseline_top1 / n, 4),
            "baseline_keyphrase_f1_at_5": round(float(np.mean(baseline_f1)), 4),
            "term_model": (
                "learned from the labelled records"
                if learned.terms_check.get("scorer") == "platform"
                else "shipped default (fitted on csl-dev)"
            ),
            "term_model_check": learned.terms_check,
            "labelled_records": len(corpus),
        }
        self.stdout.write(f"{'measure':<28}{'analysis':>10}{'baseline':>10}")
        self.stdout.write(
            f"{'field top-1':<28}{figures['field_accuracy']:>10.4f}{figures['baseline_field_accuracy']:>10.4f}"
        )
        self.stdout.write(f"{'field top-3':<28}{figures['field_top3_accuracy']:>10.4f}{'':>10}")
        self.stdout.write(
            f"{'key terms F1@5':<28}{figures['keyphrase_f1_at_5']:>10.4f}{figures['baseline_keyphrase_f1_at_5']:>10.4f}"
        )
        self.stdout.write(
            f"{'field confidence ECE':<28}{figures['field_confidence_ece']:>10.4f}{'':>10}"
            f"  (mean top confidence {figures['field_confidence_mean']})"
        )
        self.stdout.write(f"{n} records analysed; key-term scorer: {figures['term_model']}")

        if options["json"]:
            Path(options["json"]).write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
