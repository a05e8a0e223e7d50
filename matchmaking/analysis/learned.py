"""What need analysis learns from labelled records, built by a worker and read by the web.

`build` takes records in a plain form (so that the platform's records and an evaluation file go
through the same code), `build_from_platform` reads the published achievements and needs with
their fields and stored vectors, `current` gives the newest stored version to a web process (or the
shipped default key-term scorer, fitted on csl-dev, while the platform has too few records with
keywords of its own)."""

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.db import transaction

from .fields import FieldModel
from .terms import CorpusStats, TermModel, compact, corpus_stats, f1_at, fit_term_model, key_terms

logger = logging.getLogger(__name__)
DEFAULT_TERMS = Path(__file__).with_name("default_terms.json")
# Below this many records with their authors' keywords the platform's own scorer would be fitted
# on too little: the shipped one (fitted on 1,000 csl-dev abstracts) is used instead.
MIN_KEYWORD_RECORDS = 300
# The platform's own scorer replaces the shipped one only if it does better on the platform's own
# records: one in HOLD_OUT_EVERY records with keywords (by digest) is held out to check it, scored
# by both, and the held-out records must number at least MIN_HELD_OUT.
HOLD_OUT_EVERY = 5
MIN_HELD_OUT = 30
CHECK_EVERY_SECONDS = 60


@dataclass
class LabelledRecord:
    title: str
    text: str
    label: str | None
    keywords: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Learned:
    version: str
    fields: FieldModel
    terms: TermModel
    stats: CorpusStats
    records: int = 0
    keyword_records: int = 0
    # how the key-term scorer was chosen: {"scorer": "platform" | "shipped", "held_out", F1 figures}
    terms_check: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "fields": self.fields.to_dict(),
            "terms": self.terms.to_dict(),
            "stats": self.stats.to_dict(),
            "terms_check": self.terms_check,
        }

    @classmethod
    def from_dict(cls, version: str, data: dict, records: int = 0, keyword_records: int = 0) -> "Learned":
        terms_check = dict(data.get("terms_check") or {})
        try:
            terms, stats = TermModel.from_dict(data["terms"]), CorpusStats.from_dict(data["stats"])
        except ValueError as error:
            # stored by a version with other features: the shipped scorer serves until the next
            # rebuild (nightly, or `build_need_analysis`) fits one again
            terms, stats = default_terms()
            terms_check = {"scorer": "shipped", "reason": f"the stored scorer no longer fits: {error}"}
        return cls(version, FieldModel.from_dict(data["fields"]), terms, stats, records, keyword_records, terms_check)


def record_digest(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def default_fitted_on() -> frozenset[str]:
    """Digests of the records the shipped scorer was fitted on."""
    return frozenset(json.loads(DEFAULT_TERMS.read_text(encoding="utf-8")).get("fitted_on", []))


@lru_cache(maxsize=1)
def default_terms() -> tuple[TermModel, CorpusStats]:
    data = json.loads(DEFAULT_TERMS.read_text(encoding="utf-8"))
    return TermModel.from_dict(data["terms"]), CorpusStats.from_dict(data["stats"])


def build(
    records: list[LabelledRecord],
    *,
    codes: list[str],
    name_vectors: dict[str, np.ndarray],
    min_keyword_records: int = MIN_KEYWORD_RECORDS,
) -> Learned:
    fields = FieldModel.fit(codes, name_vectors, [(r.label, r.tokens, r.vectors) for r in records if r.label])
    with_keywords = [r for r in records if r.keywords]
    terms, stats = default_terms()
    check = {"scorer": "shipped", "reason": f"fewer than {min_keyword_records} records with keywords"}
    if len(with_keywords) >= min_keyword_records:
        check = check_platform_terms(with_keywords)
        if check["scorer"] == "platform":
            terms, stats = _fit_terms(with_keywords)
    learned = Learned("", fields, terms, stats, len(records), len(with_keywords), check)
    # named by what it learned: an unchanged platform rebuilds the same version, and the stored
    # analyses (keyed by it) are not all redone every day
    digest = hashlib.sha256(json.dumps(learned.to_dict(), sort_keys=True, ensure_ascii=False).encode())
    learned.version = f"analysis-{digest.hexdigest()[:16]}"
    return learned


def _fit_terms(records: list[LabelledRecord]) -> tuple[TermModel, CorpusStats]:
    pairs = [(r.title, r.text) for r in records]
    keywords = [r.keywords for r in records]
    stats, found = corpus_stats(pairs, keywords)
    return fit_term_model(pairs, keywords, stats, found), compact(stats)


def check_platform_terms(records: list[LabelledRecord]) -> dict:
    """Whether a scorer fitted on the platform's records with keywords beats the shipped one on
    records it was not fitted on (held out by digest; never records the shipped one was fitted on,
    which it would know already). F1@5 of each against the authors' keywords."""
    shipped_on = default_fitted_on()
    digests = [record_digest(r.title, r.text) for r in records]
    if sum(d in shipped_on for d in digests) * 2 > len(records):
        # mostly the shipped scorer's own training records (an evaluation on csl-dev): it cannot be
        # checked on them fairly, and a scorer fitted on them is the same kind of scorer
        return {"scorer": "platform", "reason": "the records are mostly those the shipped scorer was fitted on"}
    held, train = [], []
    for r, digest in zip(records, digests, strict=True):
        (held if int(digest, 16) % HOLD_OUT_EVERY == 0 and digest not in shipped_on else train).append(r)
    if len(held) < MIN_HELD_OUT:
        return {"scorer": "shipped", "reason": f"fewer than {MIN_HELD_OUT} records to check a scorer on"}
    try:
        platform_terms, platform_stats = _fit_terms(train)
    except ValueError as error:  # e.g. keywords that never occur in their records' text
        return {"scorer": "shipped", "reason": str(error)}
    shipped_terms, shipped_stats = default_terms()

    def f1s(terms, stats) -> np.ndarray:
        return np.array(
            [f1_at([t["term"] for t in key_terms(r.title, r.text, terms, stats, limit=5)], r.keywords) for r in held]
        )

    platform, shipped = f1s(platform_terms, platform_stats), f1s(shipped_terms, shipped_stats)
    # paired over the same records: adopted only when better by more than one standard error of the
    # difference, so thirty-odd records do not swap scorers on noise
    difference = platform - shipped
    margin = float(difference.std(ddof=1) / np.sqrt(len(difference))) if len(difference) > 1 else 0.0
    return {
        "scorer": "platform" if float(difference.mean()) > margin else "shipped",
        "held_out": len(held),
        "platform_f1_at_5": round(float(platform.mean()), 4),
        "shipped_f1_at_5": round(float(shipped.mean()), 4),
        "standard_error": round(margin, 4),
    }


def field_model_names() -> list[str]:
    """The models fields are suggested with: the multilingual ones (an English-only model reads
    Chinese as unknown tokens), or all when none is."""
    from ..encoders import is_multilingual, model_names

    names = model_names()
    return [n for n in names if is_multilingual(n)] or names


def platform_records() -> tuple[list[LabelledRecord], list[str]]:
    """The published achievements and needs with their fields, tokens and stored vectors; and the
    platform's field codes."""
    from achievements.models import Achievement, AchievementStatus
    from core.models import TechnicalField
    from enterprises.models import NeedStatus, TechnologyNeed

    from ..models import Embedding, RecordKind
    from ..text import weighted_document

    codes = list(TechnicalField.objects.order_by("code").values_list("code", flat=True))
    records: list[LabelledRecord] = []
    for kind, queryset, text_of in (
        (
            RecordKind.ACHIEVEMENT,
            Achievement.objects.filter(status=AchievementStatus.PUBLISHED).select_related("field"),
            lambda a: a.abstract,
        ),
        (
            RecordKind.NEED,
            TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED).select_related("field"),
            lambda n: n.description,
        ),
    ):
        rows = list(queryset)
        vectors: dict[int, dict[str, np.ndarray]] = {r.pk: {} for r in rows}
        stored = Embedding.objects.filter(
            kind=kind, object_id__in=list(vectors), model_name__in=field_model_names()
        ).values_list("object_id", "model_name", "vector")
        for object_id, model, blob in stored.iterator(chunk_size=2000):
            vectors[object_id][model] = np.frombuffer(bytes(blob), dtype=np.float32).astype(np.float64)
        for r in rows:
            text = text_of(r)
            records.append(
                LabelledRecord(
                    r.title,
                    text,
                    r.field.code if r.field_id else None,
                    [k for k in (r.keywords or []) if isinstance(k, str)],
                    weighted_document(r.title, r.keywords or [], text),
                    vectors[r.pk],
                )
            )
    return records, codes


def field_name_vectors(codes: list[str], names: list[str], encoders) -> dict[str, np.ndarray]:
    return {e.name: e.encode_passages(names).astype(np.float64) for e in encoders} if names else {}


def build_from_platform():
    """Build and store a new version from the platform's records (a worker's job)."""
    from core.models import TechnicalField

    from ..encoders import get_encoders
    from ..models import AnalysisModel

    records, codes = platform_records()
    fields = {f.code: f for f in TechnicalField.objects.all()}
    names = [f"{fields[c].name_zh} {fields[c].name_en}".strip() for c in codes]
    encoders = [e for e in get_encoders() if e.name in field_model_names()]
    learned = build(records, codes=codes, name_vectors=field_name_vectors(codes, names, encoders))
    # swapped in one transaction: a reader sees the old version or the new one, never none
    with transaction.atomic():
        stored, _ = AnalysisModel.objects.update_or_create(
            version=learned.version,
            defaults={
                "data": learned.to_dict(),
                "records": learned.records,
                "keyword_records": learned.keyword_records,
            },
        )
        AnalysisModel.objects.exclude(pk=stored.pk).delete()
    return stored


_cache_lock = threading.Lock()
_cache: dict = {"checked": 0.0, "version": None, "learned": None}


def current() -> Learned:
    """The newest stored version (checked at most once a minute per process), else the default:
    no field profiles, the shipped key-term scorer."""
    from ..models import AnalysisModel

    now = time.monotonic()
    with _cache_lock:
        if _cache["learned"] is not None and now - _cache["checked"] < CHECK_EVERY_SECONDS:
            return _cache["learned"]
        newest = AnalysisModel.objects.only("version").first()
        if newest is None:
            learned = _empty()
        elif newest.version == _cache["version"] and _cache["learned"] is not None:
            learned = _cache["learned"]
        else:
            row = AnalysisModel.objects.get(pk=newest.pk)
            learned = Learned.from_dict(row.version, row.data, row.records, row.keyword_records)
        _cache.update(checked=now, version=learned.version, learned=learned)
        return learned


def forget_cached() -> None:
    with _cache_lock:
        _cache.update(checked=0.0, version=None, learned=None)


def _empty() -> Learned:
    terms, stats = default_terms()
    return Learned("default", FieldModel([], [], {}, {}, [], {}), terms, stats)
