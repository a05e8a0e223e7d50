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


@register.filter
def component_label(name):
    """A score component's name as a broker reads it, in their language."""
    from matchmaking.fusion import COMPONENT_LABELS

    return COMPONENT_LABELS.get(name, name)


@register.filter
def score_components(components):
    """A match's score components as (name, value) pairs, without its flags (cross_language)."""
    from matchmaking.fusion import COMPONENT_LABELS

    return [(name, value) for name, value in (components or {}).items() if name in COMPONENT_LABELS]
