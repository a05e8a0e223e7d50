"""One fusion function for ranking, evaluation and weight learning.

Each (query, candidate) pair becomes a few features; a logistic model turns them into the
probability that the pair is relevant. That probability is the score a broker sees: it is
comparable across needs (a 0.8 means that, on the dev sets the default was fitted on, about
four in five pairs scored so were relevant), unlike the old score divided by each query's best.

Features (missing ones are 0 and have an indicator, so that a pair without, say, an English
specialist's vector is scored by the others):
- `dense`: cosine under the multilingual model (e5), every pair;
- `dense_en`: cosine under the English specialist (MiniLM), English-English pairs only;
- `lexical`: BM25 divided by the query's ceiling (the most any record could score), in [0, 1];
- `structured`: field, maturity, modes, price and region fit, when the query has attributes;
- `cross_language`: 1 for a pair whose two texts are in different languages (no shared word is
  possible, so the fusion scores its cosine on its own terms).

CONSTRAINT (keep it when changing the features): every feature is a function of the pair alone,
never of the other candidates of the query. A pair's score is then the same whatever candidate set
it is found in, which is what lets an edited achievement be scored against a need on its own and
compared with that need's K-th stored match (incremental updates), and what makes scores comparable
across needs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from .index.base import Candidate, LexicalStats, Query, bm25_ceiling, query_terms
from .structured import structured_score

# What the features mean: stored matches and learned weights of another engine (raw cosines before
# language centring, "two-stage-2") are never mixed with this one's.
ENGINE = "two-stage-3"
RAW_ENGINE = "two-stage-2"

# The per-pair signals, computed from the candidate; every feature is one of them or a fixed
# function of them (DERIVED), so the fit (bench/fit_fusion.py) can try features from dumped signals.
SIGNALS = ("dense", "dense_en", "has_dense_en", "lexical", "structured", "has_structured", "cross_language")
DERIVED = {
    "lexical_sqrt": lambda s: np.sqrt(s["lexical"]),
    "dense_sq": lambda s: s["dense"] ** 2,
    "dense_en_sq": lambda s: s["dense_en"] ** 2,
    "dense_x_lexical": lambda s: s["dense"] * s["lexical"],
    # English-English pairs (scored by the English specialist too) get their own mix of the signals:
    # with these, the logit is one linear mix for them and another for every other pair
    "dense_x_has_en": lambda s: s["dense"] * s["has_dense_en"],
    "lexical_x_has_en": lambda s: s["lexical"] * s["has_dense_en"],
    "dense_sq_no_en": lambda s: s["dense"] ** 2 * (1 - s["has_dense_en"]),
    "lexical_no_en": lambda s: s["lexical"] * (1 - s["has_dense_en"]),
    # a pair across languages shares no word by construction: its cosine gets its own slope
    "dense_x_cross": lambda s: s["dense"] * s["cross_language"],
}
FEATURES = (*SIGNALS, "dense_x_has_en", "lexical_x_has_en", "dense_x_cross")


def derive(signals: np.ndarray, names: Sequence[str] = FEATURES) -> np.ndarray:
    """Rows of SIGNALS -> rows of the named features."""
    by_name = {name: signals[:, i] for i, name in enumerate(SIGNALS)}
    return np.column_stack([by_name[n] if n in by_name else DERIVED[n](by_name) for n in names])


COMPONENT_LABELS = {
    "dense": _("Meaning (multilingual model)"),
    "dense_en": _("Meaning (English model)"),
    "lexical": _("Shared words"),
    "structured": _("Field, maturity, modes, price, region"),
    "profile": _("Profile"),
    "achievements": _("Achievements"),
}


@dataclass(frozen=True)
class FusionModel:
    """Logistic weights over FEATURES plus an intercept, with a version for stored matches."""

    weights: tuple[float, ...]
    intercept: float
    version: str
    engine: str = ENGINE  # the vectors it reads: centred ones (ENGINE) or raw ones (RAW_ENGINE)

    def as_dict(self) -> dict:
        return {
            "weights": dict(zip(FEATURES, self.weights, strict=True)),
            "intercept": self.intercept,
            "engine": self.engine,
        }

    @classmethod
    def from_dict(cls, data: dict, version: str) -> "FusionModel":
        weights = data.get("weights", {})
        features = tuple(float(weights.get(name, 0.0)) for name in FEATURES)
        return cls(features, float(data["intercept"]), version, data.get("engine", ""))


# Fitted by bench/fit_fusion.py on every dev set (bench/results/fusion-fit.json), on the centred
# cosines (centring.py): for each group of pairs, the mix of signals that keeps every set of the
# group at or above its best single signal (a grid over the mix, checked set by set), then one
# logistic (Platt) scale and offset per group on the top-20 pairs, so the score is a probability.
# Groups: English-English pairs, where MiniLM + 0.5 e5 + 0.5 lexical; every other pair (Chinese,
# mixed), e5 + 0.7 lexical; pairs across languages, which share no word, 1.25 x that e5 weight and
# 0.75 more offset (chosen on every set, the pooled cross-language ones included).
# structured / has_structured stay 0: no dev set has a need's attributes, so any value would move
# every production score away from the calibration measured here; broker decisions fit them
# (learning.py).
DEFAULT_MODEL = FusionModel(
    weights=(9.0878, 4.3383, 0.9966, 6.3615, 0.0, 0.0, 0.75, -6.9187, -4.1923, 2.272),
    intercept=-5.2798,
    version="fusion-5",
)


# The fusion for raw (uncentred) cosines, where no centres are adopted: fewer than
# centring.MIN_RECORDS records, MATCHING_CENTRE_LANGUAGES off. fusion-3, fitted the same way on the
# raw cosines (git history of bench/results/fusion-fit.json); raw cosines of unrelated texts sit at
# 0.8, so the centred fusion would call every pair relevant. No cross-language term: it was fitted
# without one.
RAW_MODEL = FusionModel(
    weights=(45.2535, 4.1648, 31.8095, 3.6203, 0.0, 0.0, 0.0, -36.9239, -0.7049, 0.0),
    intercept=-42.7451,
    version="fusion-3",
    engine=RAW_ENGINE,
)


@dataclass
class Pair:
    """One scored candidate: its features, probability and the parts shown to a broker."""

    candidate: Candidate
    features: np.ndarray
    score: float
    components: dict


def _signals(row: np.ndarray, query: Query, c: Candidate, ceiling: float, multilingual: list, english: list) -> None:
    """Fill one row of SIGNALS for the pair (query, c)."""
    if multilingual and multilingual[0] in c.dense:
        row[0] = max(c.dense[multilingual[0]], 0.0)
    if english and query.language == "en" and c.language == "en" and english[0] in c.dense:
        row[1] = max(c.dense[english[0]], 0.0)
        row[2] = 1.0
    row[3] = min(c.bm25 / ceiling, 1.0)
    if query.language != c.language:
        row[6] = 1.0
    if query.attrs:
        value = structured_score(query.attrs, c.attrs)
        if value is not None:
            row[4] = value
            row[5] = 1.0


def _models(query: Query, specialists: dict) -> tuple[list, list]:
    return [m for m in query.vectors if not specialists.get(m)], [m for m in query.vectors if specialists.get(m)]


def feature_matrix(
    query: Query, candidates: Sequence[Candidate], stats: LexicalStats, specialists: dict, terms: dict | None = None
) -> np.ndarray:
    """Candidates x FEATURES. `specialists` maps a model name to True when it reads English only;
    `terms` is the query's `query_terms` when the caller has them already."""
    n = len(candidates)
    x = np.zeros((n, len(SIGNALS)), dtype=np.float64)
    if not n:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    multilingual, english = _models(query, specialists)
    ceiling = bm25_ceiling(query_terms(query.tokens, stats) if terms is None else terms, stats) or 1.0
    for row, c in enumerate(candidates):
        _signals(x[row], query, c, ceiling, multilingual, english)
    return x if FEATURES == SIGNALS else derive(x)


def score_pair_per_query(
    items: Sequence[tuple[Query, Candidate, dict]], stats: LexicalStats, specialists: dict, model: FusionModel
) -> list[Pair]:
    """One candidate for each of many queries ((query, candidate, its query_terms) each), scored
    in one pass: the same features and probability `score_candidates` gives each pair."""
    x = np.zeros((len(items), len(SIGNALS)), dtype=np.float64)
    for row, (query, c, terms) in enumerate(items):
        multilingual, english = _models(query, specialists)
        _signals(x[row], query, c, bm25_ceiling(terms, stats) or 1.0, multilingual, english)
    features = x if FEATURES == SIGNALS else derive(x)
    probabilities = fuse(features, model)
    return [
        Pair(c, features[i], round(float(probabilities[i]), 4), component_view(features[i]))
        for i, (_, c, _) in enumerate(items)
    ]


def fuse(x: np.ndarray, model: FusionModel) -> np.ndarray:
    """The probability of relevance for each row of a feature matrix."""
    z = x @ np.asarray(model.weights) + model.intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def component_view(row: np.ndarray) -> dict:
    """The parts a broker reads (each in [0, 1]), keyed by translatable component names."""
    named = dict(zip(FEATURES, row, strict=True))
    parts = {"dense": round(float(named["dense"]), 4), "lexical": round(float(named["lexical"]), 4)}
    if named["has_dense_en"]:
        parts["dense_en"] = round(float(named["dense_en"]), 4)
    if named["has_structured"]:
        parts["structured"] = round(float(named["structured"]), 4)
    if named["cross_language"]:
        parts["cross_language"] = 1.0  # a flag, not a score: kept for learning, not shown as a bar
    return parts


def score_candidates(
    query: Query,
    candidates: Sequence[Candidate],
    stats: LexicalStats,
    specialists: dict,
    model: FusionModel,
    terms: dict | None = None,
) -> list[Pair]:
    """The candidates as scored pairs, best first (ties by id, so the order is stable)."""
    x = feature_matrix(query, candidates, stats, specialists, terms)
    probabilities = fuse(x, model)
    # ordered by the logit, not the rounded probability: far below 0.5 many pairs round alike
    logits = x @ np.asarray(model.weights)
    order = sorted(range(len(candidates)), key=lambda i: (-logits[i], candidates[i].id))
    return [Pair(candidates[i], x[i], round(float(probabilities[i]), 4), component_view(x[i])) for i in order]


def features_from_components(components: dict) -> np.ndarray:
    """The feature vector of a stored match (its `components`), for weight learning."""
    named = dict.fromkeys(SIGNALS, 0.0)
    named.update({k: float(v) for k, v in components.items() if k in named})
    named["has_dense_en"] = 1.0 if "dense_en" in components else 0.0
    named["has_structured"] = 1.0 if "structured" in components else 0.0
    named["cross_language"] = 1.0 if components.get("cross_language") else 0.0
    return derive(np.array([[named[name] for name in SIGNALS]], dtype=np.float64))[0]
