"""Structured compatibility of a need and an achievement, and the reasons a broker reads.

Attributes (in Record.attrs): field (code), trl, modes (set of codes), price_min, price_max,
district (code); for a need: field, required_trl, modes, budget_min, budget_max, district."""

import math

import numpy as np

# How much each part of the structured fit counts.
PART_WEIGHTS = {"field": 0.35, "maturity": 0.25, "modes": 0.2, "price": 0.15, "region": 0.05}


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
    """The structured fit of one pair, in [0, 1], or None when either side has no attributes.
    Plain Python: it runs once per candidate pair, where building arrays cost far more."""
    if not need_attrs or not doc_attrs:
        return None
    field = 1.0 if (doc_attrs.get("field") or "") == need_attrs.get("field") else 0.0
    required, trl = need_attrs.get("required_trl"), doc_attrs.get("trl")
    maturity = 1.0
    if required and trl is not None:
        maturity = min(max(1.0 - max(float(required) - float(trl), 0.0) / 3.0, 0.0), 1.0)
    wanted, offered = frozenset(need_attrs.get("modes") or ()), frozenset(doc_attrs.get("modes") or ())
    modes = 1.0 if not wanted or not offered or (wanted & offered) else 0.0
    budget, price_min = need_attrs.get("budget_max"), doc_attrs.get("price_min")
    price = 1.0
    if budget:  # an unknown (or zero) asking price counts against, as its reason says
        known = price_min is not None and not math.isnan(float(price_min)) and float(price_min) > 0
        price = min(max(float(budget) / float(price_min), 0.0), 1.0) if known else 0.0
    district = need_attrs.get("district")
    region = (1.0 if (doc_attrs.get("district") or "") == district else 0.5) if district else 1.0
    total = (
        PART_WEIGHTS["field"] * field
        + PART_WEIGHTS["maturity"] * maturity
        + PART_WEIGHTS["modes"] * modes
        + PART_WEIGHTS["price"] * price
        + PART_WEIGHTS["region"] * region
    )
    return float(np.float32(total))  # as stored before: matches keep comparable scores
