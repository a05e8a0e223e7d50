"""Readable reasons (in the request's language) from the stored reason codes."""

from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.models import TransferMode


@lru_cache(maxsize=1)
def _modes() -> dict:
    """Transfer modes are fixed reference data: read once per process."""
    return {m.code: (m.name_zh, m.name_en) for m in TransferMode.objects.all()}


def _mode_names(codes) -> str:
    english = (get_language() or "").startswith("en")
    names = _modes()
    return ("、" if not english else ", ").join(names[c][1 if english else 0] if c in names else c for c in codes)


def reason_text(code: str, params: dict) -> str:
    texts = {
        "same_field": lambda: _("Same technical field"),
        "different_field": lambda: _("Different technical field"),
        "maturity_ok": lambda: _("Maturity TRL %(trl)s meets the required TRL %(required)s") % params,
        "maturity_below": lambda: _("Maturity TRL %(trl)s is below the required TRL %(required)s") % params,
        "modes_match": lambda: _("Cooperation modes match: %(modes)s") % {"modes": _mode_names(params["modes"])},
        "no_common_mode": lambda: _("No wanted cooperation mode is offered"),
        "price_within_budget": lambda: (
            _("Asking price from %(price_min)s (10k CNY) is within the budget of %(budget_max)s") % params
        ),
        "price_above_budget": lambda: (
            _("Asking price from %(price_min)s (10k CNY) is above the budget of %(budget_max)s") % params
        ),
        "price_unknown": lambda: _("No asking price given"),
        "same_district": lambda: _("In the same district"),
    }
    maker = texts.get(code)
    return maker() if maker else code


def render_reasons(reasons: list[dict]) -> list[dict]:
    return [{**r, "text": reason_text(r["code"], r.get("params", {}))} for r in reasons]
