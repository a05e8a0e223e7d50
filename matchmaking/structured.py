"""Structured compatibility of a need and an achievement, and the reasons a broker reads.

Attributes (in Record.attrs): field (code), trl, modes (set of codes), price_min, price_max,
district (code); for a need: field, required_trl, modes, budget_min, budget_max, district."""

import math

import numpy as np

# How much each part of the structured fit counts.
PART_WEIGHTS = {"field": 0.35, "maturity": 0.25, "modes": 0.2, "price": 0.15, "region": 0.05}


def _nan(value) -> float:
    return math.nan if value is None else float(value)


class StructuredScorer:
    """Vectorised over the corpus: one call scores one query against every document."""

    def __init__(self, documents):
        attrs = [d.attrs for d in documents]
        self.field = np.array([a.get("field") or "" for a in attrs], dtype=object)
        self.trl = np.array([_nan(a.get("trl")) for a in attrs], dtype=np.float32)
        self.modes = [frozenset(a.get("modes") or ()) for a in attrs]
        self.price_min = np.array([_nan(a.get("price_min")) for a in attrs], dtype=np.float32)
        self.district = np.array([a.get("district") or "" for a in attrs], dtype=object)
        self.has_attrs = any(attrs)

    def __call__(self, query, documents=None) -> np.ndarray:
        q = query.attrs
        n = len(self.trl)
        if not q or not self.has_attrs:
            return np.full(n, np.nan, dtype=np.float32)
        field = (self.field == q.get("field")).astype(np.float32)
        required = q.get("required_trl")
        if required:
            gap = np.nan_to_num(required - self.trl, nan=0.0)
            maturity = np.clip(1.0 - np.maximum(gap, 0) / 3.0, 0.0, 1.0)
        else:
            maturity = np.ones(n, dtype=np.float32)
        wanted = frozenset(q.get("modes") or ())
        modes = np.array([1.0 if not wanted or not m or (m & wanted) else 0.0 for m in self.modes], dtype=np.float32)
        budget = q.get("budget_max")
        if budget:
            ratio = float(budget) / np.where(np.isnan(self.price_min) | (self.price_min <= 0), np.inf, self.price_min)
            price = np.clip(np.where(np.isinf(ratio) | (ratio >= 1), 1.0, ratio), 0.0, 1.0)
        else:
            price = np.ones(n, dtype=np.float32)
        region = np.where(self.district == q.get("district"), 1.0, 0.5) if q.get("district") else np.ones(n)
        total = (
            PART_WEIGHTS["field"] * field
            + PART_WEIGHTS["maturity"] * maturity
            + PART_WEIGHTS["modes"] * modes
            + PART_WEIGHTS["price"] * price
            + PART_WEIGHTS["region"] * region
        )
        return total.astype(np.float32)


def reasons(need_attrs: dict, doc_attrs: dict) -> list[dict]:
    """Each reason for or against the pair: {"code", "for": bool, "params"}."""
    result = []
    if need_attrs.get("field") and doc_attrs.get("field"):
        same = need_attrs["field"] == doc_attrs["field"]
        result.append({"code": "same_field" if same else "different_field", "for": same, "params": {}})
    required, trl = need_attrs.get("required_trl"), doc_attrs.get("trl")
    if required and trl:
        ok = trl >= required
        result.append(
            {"code": "maturity_ok" if ok else "maturity_below", "for": ok, "params": {"trl": trl, "required": required}}
        )
    wanted, offered = set(need_attrs.get("modes") or ()), set(doc_attrs.get("modes") or ())
    if wanted and offered:
        common = sorted(wanted & offered)
        result.append(
            {"code": "modes_match" if common else "no_common_mode", "for": bool(common), "params": {"modes": common}}
        )
    budget, price = need_attrs.get("budget_max"), doc_attrs.get("price_min")
    if budget is not None and price is not None:
        ok = float(price) <= float(budget)
        result.append(
            {
                "code": "price_within_budget" if ok else "price_above_budget",
                "for": ok,
                "params": {"price_min": float(price), "budget_max": float(budget)},
            }
        )
    elif budget is not None:
        result.append({"code": "price_unknown", "for": False, "params": {}})
    if need_attrs.get("district") and doc_attrs.get("district") == need_attrs.get("district"):
        result.append({"code": "same_district", "for": True, "params": {"district": need_attrs["district"]}})
    return result


def structured_score(need_attrs: dict, doc_attrs: dict) -> float | None:
    """The structured fit of one pair, in [0, 1], or None when either side has no attributes."""
    if not need_attrs or not doc_attrs:
        return None
    scorer = StructuredScorer([_AttrsOnly(doc_attrs)])
    return float(scorer(_AttrsOnly(need_attrs))[0])


class _AttrsOnly:
    def __init__(self, attrs: dict):
        self.attrs = attrs
