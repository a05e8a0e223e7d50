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
    given; in 万元 for Chinese readers, in yuan for the others (10,000 yuan to the 万元)."""
    from decimal import Decimal

    from django.utils.formats import number_format
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    in_wan = (get_language() or "").startswith("zh")

    def amount(value):
        value = Decimal(value) if in_wan else Decimal(value) * 10_000
        return number_format(value.normalize() if value != value.to_integral() else int(value), force_grouping=True)

    if low is None and high is None:
        return _("Not stated (to be agreed)")
    if high is None:
        return _("From CNY %(low)s") % {"low": amount(low)}
    if low is None:
        return _("Up to CNY %(high)s") % {"high": amount(high)}
    if low == high:
        return _("CNY %(amount)s") % {"amount": amount(low)}
    return _("CNY %(low)s–%(high)s") % {"low": amount(low), "high": amount(high)}


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
