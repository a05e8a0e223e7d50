"""Taking each language's mean out of the multilingual model's vectors, so that cosines compare
meaning, not language.

e5 puts every Chinese text near every other Chinese text, and English near English: an English
patent and its own Chinese translation are less alike (0.80) than two unrelated Chinese patents
(0.87, bench/cross_language_gap.py), so a translation never reached an English need's top 100.
Subtracting from every vector the mean vector of the indexed records in its language (and from a
query the mean of the query's language), then normalising again, removes that shared component.
Measured dense-only (bench/language_centering_trial.py, bench/results/language-centering.json):
an English patent's Chinese translation in the top 100 for 87% of queries instead of 4%, and
Chinese patent similarity up 0.039 nDCG@10; title and keyword sets hold. No label is used: the
means are the platform's own records', fitted by a worker and stored as a version
(models.LanguageCentres); the index holds vectors centred with the active version and is
re-centred when a new one is adopted.

A language with few records borrows the mean of all records (PRIOR records' worth, shrinkage),
and below MIN_RECORDS embedded records nothing is centred: the mean of a handful of records is
mostly those records. English-only models (the English specialist) are never centred: they read
one language."""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_RECORDS = 50
# A language's mean counts as PRIOR records of the pooled mean: with 10 English records among
# thousands of Chinese ones, two thirds of the English mean is the English records' own.
PRIOR = 5
# A new fit replaces the active one only when a mean moved by more than this (Euclidean; the
# means have norm about 0.9) or a language appeared: re-centring re-indexes every record and
# re-ranks every need, and a mean estimated from a few hundred records moves less than this.
DRIFT = 0.03
# A refit is due when the embedded records have grown by this factor since the active fit.
GROWTH = 2.0
_EPSILON = 1e-6


@dataclass(frozen=True)
class Centres:
    """Per model: the mean of every record (`pooled`) and per language (shrunk towards it)."""

    version: str
    pooled: dict[str, np.ndarray] = field(default_factory=dict)
    means: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def centred(self) -> bool:
        """Whether any model's vectors are centred (an empty version stands for "none")."""
        return bool(self.pooled)

    def mean(self, model: str, language: str) -> np.ndarray | None:
        pooled = self.pooled.get(model)
        return None if pooled is None else self.means[model].get(language, pooled)

    def apply(self, vectors: dict[str, np.ndarray], language: str) -> dict[str, np.ndarray]:
        """A record's or query's vectors (model -> unit vector) as the index stores them."""
        centred = {}
        for model, vector in vectors.items():
            mean = self.mean(model, language)
            vector = np.asarray(vector, dtype=np.float32)
            if mean is None or len(mean) != len(vector):
                centred[model] = vector
                continue
            shifted = vector - mean
            norm = float(np.linalg.norm(shifted))
            # a vector equal to its language's mean has no direction left: keep it as it was
            centred[model] = (shifted / norm).astype(np.float32) if norm > _EPSILON else vector
        return centred

    def apply_rows(self, model: str, matrix: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        """`apply` for many vectors of one model at once (evaluation, benchmarks)."""
        if model not in self.pooled:
            return matrix
        means = np.stack([self.mean(model, language) for language in languages]).astype(np.float32)
        shifted = matrix.astype(np.float32) - means
        norms = np.linalg.norm(shifted, axis=1, keepdims=True)
        return np.where(norms > _EPSILON, shifted / np.maximum(norms, _EPSILON), matrix).astype(np.float32)

    def as_data(self) -> dict:
        return {
            model: {
                "pooled": [float(x) for x in self.pooled[model]],
                "languages": {
                    language: {"count": self.counts[model][language], "mean": [float(x) for x in mean]}
                    for language, mean in self.means[model].items()
                },
            }
            for model in self.pooled
        }

    @classmethod
    def from_data(cls, version: str, data: dict) -> "Centres":
        pooled, means, counts = {}, {}, {}
        for model, part in data.items():
            pooled[model] = np.asarray(part["pooled"], dtype=np.float32)
            means[model] = {lang: np.asarray(v["mean"], dtype=np.float32) for lang, v in part["languages"].items()}
            counts[model] = {lang: int(v["count"]) for lang, v in part["languages"].items()}
        return cls(version, pooled, means, counts)

    def moved_from(self, other: "Centres") -> bool:
        """Whether these centres differ enough from `other` to be worth re-centring the index."""
        if set(self.pooled) != set(other.pooled):
            return True
        for model, means in self.means.items():
            if set(means) != set(other.means[model]):
                return True
            if any(float(np.linalg.norm(mean - other.means[model][lang])) > DRIFT for lang, mean in means.items()):
                return True
        return False


NONE = Centres("none")


class Fit:
    """Running sums of vectors per model and language, read in chunks (no corpus in memory)."""

    def __init__(self):
        self.sums: dict[str, dict[str, np.ndarray]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.dims: dict[str, int] = {}

    def add_rows(self, model: str, rows, languages: Sequence[str]) -> None:
        """Vectors (a matrix or a list of rows) and their languages. Rows of another dimension
        than the model's first ones are left out: they belong to a model being re-embedded."""
        sums, counts = self.sums.setdefault(model, {}), self.counts.setdefault(model, {})
        rows = [np.asarray(r, dtype=np.float64) for r in rows]
        dim = self.dims.setdefault(model, len(rows[0])) if rows else 0
        kept = [i for i, r in enumerate(rows) if len(r) == dim]
        if not kept:
            return
        matrix = np.stack([rows[i] for i in kept])
        languages = [languages[i] for i in kept]
        for language in set(languages):
            rows = matrix[[i for i, lang in enumerate(languages) if lang == language]]
            sums[language] = sums.get(language, 0.0) + rows.sum(axis=0)
            counts[language] = counts.get(language, 0) + len(rows)

    def centres(self, version: str) -> Centres:
        pooled, means, counts = {}, {}, {}
        for model, sums in self.sums.items():
            total = sum(self.counts[model].values())
            if total < MIN_RECORDS:
                continue
            pooled[model] = (sum(sums.values()) / total).astype(np.float32)
            means[model] = {
                lang: ((s + PRIOR * pooled[model]) / (self.counts[model][lang] + PRIOR)).astype(np.float32)
                for lang, s in sums.items()
            }
            counts[model] = dict(self.counts[model])
        return Centres(version, pooled, means, counts) if pooled else NONE


def fit_rows(spaces: dict[str, tuple[np.ndarray, Sequence[str]]], version: str = "fitted") -> Centres:
    """Centres from whole matrices: model -> (vectors, their languages)."""
    fit = Fit()
    for model, (matrix, languages) in spaces.items():
        fit.add_rows(model, matrix, languages)
    return fit.centres(version)


_lock = threading.Lock()
_cached: Centres = NONE


def active() -> Centres:
    """The centres the index holds: one query for the active version; its means are read again
    only when that version changed (another process adopted a new fit). MATCHING_CENTRE_LANGUAGES
    is not read here: switching it off takes effect when the worker has re-written the entries
    raw (an empty version), so that queries and entries never disagree."""
    global _cached
    from .models import LanguageCentres

    version = LanguageCentres.objects.filter(is_active=True).values_list("version", flat=True).first()
    if version is None:
        return NONE
    with _lock:
        if _cached.version != version:
            data = LanguageCentres.objects.filter(version=version).values_list("data", flat=True).first()
            _cached = NONE if data is None else Centres.from_data(version, data)
        return _cached
