"""Suggested required maturity, cooperation modes and budget for a draft need, from the most
similar published needs the writer may see and the contracts signed on them."""

from collections import Counter
from statistics import median

SIMILAR_NEEDS = 20
MIN_SIMILARITY = 0.35  # calibrated fusion score: below it a need is not "similar" (at 0.2 a walk
# found 1 of 20 "similar" needs on the topic)
MIN_EVIDENCE = 3
MODE_SHARE = 0.3


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0]
    low = ordered[(len(ordered) - 1) // 4]
    high = ordered[(3 * (len(ordered) - 1) + 3) // 4]
    return low, high


def suggest(similar_needs, contract_amounts: list[float]) -> dict:
    """`similar_needs`: TechnologyNeed rows (cooperation modes prefetched), most similar first;
    `contract_amounts`: amounts (10k CNY) of contracts signed on them."""
    result: dict = {
        "similar_needs": len(similar_needs),
        "required_trl": None,
        "cooperation_modes": None,
        "budget": None,
    }
    trls = [n.required_trl for n in similar_needs if n.required_trl]
    if len(trls) >= MIN_EVIDENCE:
        result["required_trl"] = {"value": int(round(median(trls))), "because_needs": len(trls)}
    modes = Counter(m.code for n in similar_needs for m in n.cooperation_modes.all())
    with_modes = sum(1 for n in similar_needs if n.cooperation_modes.all())
    if with_modes >= MIN_EVIDENCE:
        names = {m.code: m for n in similar_needs for m in n.cooperation_modes.all()}
        chosen = [code for code, count in modes.most_common() if count / with_modes >= MODE_SHARE][:3]
        if chosen:
            result["cooperation_modes"] = {
                "values": [{"code": c, "name": str(names[c]), "needs": modes[c]} for c in chosen],
                "because_needs": with_modes,
            }
    budgets = [float(n.budget_max) for n in similar_needs if n.budget_max is not None]
    if len(budgets) + len(contract_amounts) >= MIN_EVIDENCE:
        low, high = _quartiles(budgets + list(contract_amounts))
        result["budget"] = {
            "min": round(low, 1),
            "max": round(high, 1),
            "because_needs": len(budgets),
            "because_contracts": len(contract_amounts),
        }
    return result
