import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlight(text, terms):
    """Escape `text` and wrap every occurrence of the shared `terms` in <mark>."""
    escaped = escape(text or "")
    words = sorted({escape(t) for t in terms or [] if t}, key=len, reverse=True)
    if not words:
        return mark_safe(escaped)  # noqa: S308 - already escaped
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308


@register.filter
def percent(value):
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.simple_tag
def money_range(low, high):
    """A price or budget range (stored in 万元) as a reader takes it: both ends, one end, or none
    given. Chinese readers read 万元, the others yuan (10,000 to the 万元); the unit and the scale
    are chosen together here, so a missing translation cannot show 万元 amounts as yuan."""
    from decimal import Decimal

    from django.utils.formats import number_format
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    if low is None and high is None:
        return _("Not stated (to be agreed)")
    if (get_language() or "").startswith("zh"):

        def wan(value):
            value = Decimal(value)
            return number_format(value.normalize() if value != value.to_integral() else int(value), force_grouping=True)

        if high is None:
            return f"{wan(low)} 万元起"
        if low is None:
            return f"最高 {wan(high)} 万元"
        return f"{wan(low)} 万元" if low == high else f"{wan(low)}–{wan(high)} 万元"

    def yuan(value):
        return number_format(int(Decimal(value) * 10_000), force_grouping=True)

    if high is None:
        return _("From CNY %(low)s") % {"low": yuan(low)}
    if low is None:
        return _("Up to CNY %(high)s") % {"high": yuan(high)}
    if low == high:
        return _("CNY %(amount)s") % {"amount": yuan(low)}
    return _("CNY %(low)s–%(high)s") % {"low": yuan(low), "high": yuan(high)}


@register.filter
def record_url(record):
    """The catalogue page of an achievement or a need (what an event participant brings)."""
    from django.urls import reverse

    name = {"achievement": "web-achievement", "technologyneed": "web-need"}.get(type(record).__name__.lower())
    return reverse(name, args=[record.pk]) if name else ""


def _separator(kind: str = "") -> str:
    from django.utils.translation import get_language

    chinese = (get_language() or "").startswith("zh")
    if kind == "titles":  # titles may hold commas themselves
        return "；" if chinese else "; "
    return "、" if chinese else ", "


@register.simple_tag
def list_separator(kind=""):
    """Between the items of a list, in the reader's language's punctuation."""
    return _separator(kind)


@register.filter
def enumeration(items, kind=""):
    """The items joined with the reader's language's list punctuation."""
    return _separator(kind).join(str(item) for item in items)


@register.simple_tag
def colon():
    """After a label, in the reader's language's punctuation (a full-width colon in Chinese)."""
    from django.utils.translation import get_language

    return "：" if (get_language() or "").startswith("zh") else ": "
