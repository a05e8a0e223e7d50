"""Re-fitting the fusion from broker decisions.

Positive: a match a broker moved forward (shortlisted ... contract signed). Negative: a
declined match. Features: the stored match's fusion features (its `components`), the same
features `fusion.fuse` scores. The same logistic model is re-fitted (L2-regularised, signal
weights non-negative) on the needs of a training split. It is adopted only if it ranks the held-out
needs' decisions better (mean within-need ROC AUC) and neither language's worse, and, where the
dev sets' dumped pairs are at hand (MATCHING_DEV_FEATURES_DIR), no dev set ranks worse than with
the current weights or than its best single signal. Its output is again a probability: that a
broker moves the match forward."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from scipy.optimize import minimize

from .fusion import ENGINE, FEATURES, SIGNALS, FusionModel, derive, features_from_components, fuse
from .models import Match, RankingModel, Stage
from .retrieval import fusion_model

# More shared words or a better structured fit never counts against a pair; the dense terms,
# the English group's interactions and the flags may take any sign.
NON_NEGATIVE = tuple(name in ("lexical", "structured") for name in FEATURES)

POSITIVE = (Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING, Stage.CONTRACT_SIGNED)
NEGATIVE = (Stage.DECLINED,)
MIN_LABELS = 40


@dataclass
class Labelled:
    need_ids: np.ndarray
    features: np.ndarray  # rows x components; a missing component is NaN
    labels: np.ndarray
    languages: np.ndarray  # the need's language: a change must not hurt either language


def labelled_matches() -> Labelled:
    # only matches scored by this engine: older ones keep components of another meaning
    rows = Match.objects.filter(stage__in=POSITIVE + NEGATIVE, algorithm_version__startswith=f"{ENGINE}/").values_list(
        "need_id", "components", "stage", "need__language"
    )
    need_ids, features, labels, languages = [], [], [], []
    for need_id, components, stage, language in rows.iterator(chunk_size=5000):
        need_ids.append(need_id)
        features.append(features_from_components(components or {}))
        labels.append(1.0 if stage in POSITIVE else 0.0)
        languages.append(language)
    matrix = np.array(features, dtype=np.float64).reshape(-1, len(FEATURES))
    return Labelled(np.array(need_ids), matrix, np.array(labels), np.array(languages))


def is_held_out(need_id: int) -> bool:
    """A stable 30% of needs, by hash, for validation."""
    return hashlib.blake2b(str(need_id).encode(), digest_size=2).digest()[0] < 77


def mean_within_need_auc(need_ids, scores, labels) -> float:
    """The chance that, for one need, a match brokers moved forward outranks one they declined."""
    aucs = []
    for need in np.unique(need_ids):
        mask = need_ids == need
        positives, negatives = scores[mask & (labels == 1)], scores[mask & (labels == 0)]
        if len(positives) and len(negatives):
            wins = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (
                positives[:, None] == negatives[None, :]
            ).sum()
            aucs.append(wins / (len(positives) * len(negatives)))
    return float(np.mean(aucs)) if aucs else float("nan")


def fit_model(features: np.ndarray, labels: np.ndarray, prior: FusionModel, l2: float = 1.0) -> FusionModel:
    """A logistic regression on the fusion features (L2-regularised), started from `prior`."""
    x, y = features, labels
    w0 = np.asarray(prior.weights)
    centre = np.zeros_like(w0)

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        z = x @ w + b
        nll = np.logaddexp(0, z) - y * z  # log(1 + e^z) - y z, computed stably
        grad_z = 1 / (1 + np.exp(-np.clip(z, -50, 50))) - y
        d = w - centre
        value = nll.mean() + l2 * (d @ d) / (2 * len(y))
        gradient = np.append(x.T @ grad_z / len(y) + l2 * d / len(y), grad_z.mean())
        return value, gradient

    theta0 = np.append(w0, prior.intercept)
    bounds = [(0, None) if keep else (None, None) for keep in NON_NEGATIVE] + [(None, None)]
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    return FusionModel(tuple(round(float(v), 4) for v in result.x[:-1]), round(float(result.x[-1]), 4), "proposed")


@dataclass
class LearningResult:
    adopted: bool
    reason: str
    labels: int
    current: dict
    proposed: dict | None = None
    current_auc: float | None = None
    proposed_auc: float | None = None
    version: str | None = None


def dev_set_refusal(current: FusionModel, proposed: FusionModel, directory: Path, tolerance: float = 0.005) -> str:
    """The rule the default weights were adopted under, for learned ones: on every dev set whose
    dumped pairs are in `directory` (`make eval` writes them to var/features/), the proposed
    fusion stays within `tolerance` of the current one and of the set's best single signal.
    A reason to refuse, or "" to go ahead."""
    from .evaluation import dumped_pairs_ndcg10

    dumps = sorted(directory.glob("*.npz"))
    if not dumps:
        return f"no dev-set features in {directory} (run make eval)"
    for path in dumps:
        with np.load(path) as data:
            dump = {key: data[key] for key in data.files}
        dumped = list(dump["features"])
        signals = dump["x"][:, [dumped.index(name) for name in SIGNALS]]
        x = derive(signals)
        before = dumped_pairs_ndcg10(fuse(x, current), dump)
        after = dumped_pairs_ndcg10(fuse(x, proposed), dump)
        best = max(
            dumped_pairs_ndcg10(signals[:, SIGNALS.index(name)], dump, two_stage=False)
            for name in ("dense", "dense_en", "lexical")
            if signals[:, SIGNALS.index(name)].any()
        )
        if after < before - tolerance or after < best - tolerance:
            return (
                f"the re-fitted weights rank the dev set {path.stem} worse "
                f"(nDCG@10 {after:.4f}; current {before:.4f}, best single signal {best:.4f})"
            )
    return ""


def learn_weights(
    *, min_labels: int = MIN_LABELS, margin: float = 0.005, dev_features: str | None = None
) -> LearningResult:
    """Re-fit on broker decisions; adopt only if held-out decisions rank better (each language
    too) and, when `dev_features` (default: MATCHING_DEV_FEATURES_DIR) names dumped dev-set pairs,
    no dev set ranks worse."""
    if dev_features is None:
        dev_features = settings.MATCHING_DEV_FEATURES_DIR
    current = fusion_model()
    current_dict = current.as_dict()
    if current.engine != ENGINE:
        # raw vectors (no language centres adopted yet): the learned weights would read centred ones
        return LearningResult(False, "the matching index holds no language centres yet", 0, current_dict)
    data = labelled_matches()
    if len(data.labels) < min_labels or len(np.unique(data.labels)) < 2:
        return LearningResult(
            False,
            f"not enough broker decisions yet ({len(data.labels)} of {min_labels})",
            len(data.labels),
            current_dict,
        )
    held = np.array([is_held_out(n) for n in data.need_ids])
    if held.all() or not held.any():
        return LearningResult(
            False, "the decisions cover too few needs to hold some out", len(data.labels), current_dict
        )
    proposed = fit_model(data.features[~held], data.labels[~held], current)
    current_auc = mean_within_need_auc(data.need_ids[held], fuse(data.features[held], current), data.labels[held])
    proposed_auc = mean_within_need_auc(data.need_ids[held], fuse(data.features[held], proposed), data.labels[held])
    result = LearningResult(
        False, "", len(data.labels), current_dict, proposed.as_dict(), round(current_auc, 4), round(proposed_auc, 4)
    )
    if np.isnan(proposed_auc) or np.isnan(current_auc):
        result.reason = "held-out needs have no decisions of both kinds"
        return result
    if proposed_auc < current_auc + margin:
        result.reason = "the re-fitted weights do not rank held-out decisions better"
        return result
    for language in np.unique(data.languages[held]):
        part = held & (data.languages == language)
        before = mean_within_need_auc(data.need_ids[part], fuse(data.features[part], current), data.labels[part])
        after = mean_within_need_auc(data.need_ids[part], fuse(data.features[part], proposed), data.labels[part])
        if not np.isnan(before) and not np.isnan(after) and after < before - margin:
            result.reason = (
                f"the re-fitted weights rank held-out {language} decisions worse ({after:.3f} < {before:.3f})"
            )
            return result
    if dev_features:
        refusal = dev_set_refusal(current, proposed, Path(dev_features))
        if refusal:
            result.reason = refusal
            return result
    version = f"learned-{RankingModel.objects.count() + 1}"
    with transaction.atomic():
        RankingModel.objects.filter(is_active=True).update(is_active=False)
        RankingModel.objects.create(
            version=version,
            weights=proposed.as_dict(),
            is_active=True,
            metrics={
                "labels": len(data.labels),
                "held_out_auc": result.proposed_auc,
                "previous_version": current.version,
                "previous_auc": result.current_auc,
            },
        )
    result.adopted, result.reason, result.version = True, "adopted", version
    return result
