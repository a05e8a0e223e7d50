"""Quality hints for a need as it is written: what makes researchers and brokers take it up."""

import re

from django.utils.translation import gettext as _

MIN_DESCRIPTION_CHARS = 60
# A number with a unit or a comparison: a target someone can check.
_MEASURABLE = re.compile(
    r"\d+(\.\d+)?\s*(%|％|℃|°c|倍|小时|h\b|分钟|秒|天|年|月|次|个|台|套|吨|t\b|kg|g\b|mg|mm|cm|μm|um|nm|m\b|km|"  # noqa: E501
    r"kw|mw|w\b|kwh|wh|v\b|kv|a\b|ma|hz|khz|mhz|ghz|mpa|gpa|pa\b|db|ppm|ppb|元|万元|亿元|yuan|rmb|cny|fps|g/|mah)",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"(不低于|不少于|不超过|不高于|达到|提升至|降低至|低于|高于|小于|大于|以内|以上|at least|below|above|within|up to|≤|≥|<|>)",  # noqa: E501
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"(\d+\s*(个月|月|年|周|天|季度)|年底|年内|月底|季度|周期|工期|交付|上线|投产|deadline|month|year|week|quarter|by 20\d\d|20\d\d\s*年)",  # noqa: E501
    re.IGNORECASE,
)
_BUDGET = re.compile(r"(\d+\s*(万元|万|亿元|元)|预算|经费|budget|yuan|rmb|cny)", re.IGNORECASE)
VAGUE_WORDS = (
    "先进", "高端", "一流", "领先", "前沿", "智能化", "相关技术", "等等",
    "各种", "若干", "一些", "某些", "全方位", "多方面",
    "advanced", "cutting-edge", "state-of-the-art", "world-class", "innovative", "various", "etc",
)  # fmt: skip


def _messages() -> dict:
    return {
        "too_short": _(
            "The description is short: say what the problem is, what you tried and what a solution must achieve."
        ),
        "no_target": _("No measurable target: give the figures a solution must reach (for example efficiency ≥ 95%)."),
        "no_budget": _("No budget: a range, even a wide one, tells teams whether to answer."),
        "no_timeline": _("No timeline: say by when you need a result."),
        "vague": _("Vague wording (%(words)s): describe the technical problem itself."),
    }


def message(code: str, words=()) -> str:
    """A hint's message in the reader's language (stored analyses keep codes and words)."""
    text = _messages().get(code, code)
    return text % {"words": "、".join(words)} if code == "vague" else text


_FRAMING = re.compile(
    r"^\s*(我公司|本公司|我司|本企业|我们公司|公司(成立|位于|创立|始建|主营|是一家)|我们是|本单位|"
    r"(our|the) company (is|was)|we are an?\b|founded in\b)",
    re.IGNORECASE,
)


def is_framing(text: str) -> bool:
    """A sentence introducing the enterprise (我公司是一家……企业, We are a ... company): the need's
    setting, not one of its technical points."""
    return bool(_FRAMING.match(text)) and not re.search(
        r"(需要|希望|寻求|要求|难题|问题|need|seek|require)", text, re.I
    )


def is_logistics(text: str) -> bool:
    """A sentence about budget or timing only (预算100万元，9个月内完成): not a technical point."""
    return bool(_BUDGET.search(text) or _TIMELINE.search(text))


def need_hints(*, description: str, budget_given: bool, deadline_given: bool) -> list[dict]:
    """[{"code", "message", "words"}] for a draft need; `*_given`: the form's own fields are filled."""
    text = description or ""
    found: list[tuple[str, list[str]]] = []
    if len(text.strip()) < MIN_DESCRIPTION_CHARS:
        found.append(("too_short", []))
    # a budget or a deadline is not a technical target: take them out before looking for one
    technical = _TIMELINE.sub(" ", _BUDGET.sub(" ", text))
    if not (_MEASURABLE.search(technical) or (_COMPARISON.search(technical) and re.search(r"\d", technical))):
        found.append(("no_target", []))
    if not budget_given and not _BUDGET.search(text):
        found.append(("no_budget", []))
    if not deadline_given and not _TIMELINE.search(text):
        found.append(("no_timeline", []))
    lowered = text.lower()
    vague = [w for w in VAGUE_WORDS if w in lowered]
    if len(vague) >= 2:
        found.append(("vague", vague[:4]))
    return [{"code": code, "message": message(code, words), "words": words} for code, words in found]
