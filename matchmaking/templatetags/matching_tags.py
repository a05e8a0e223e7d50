from django import template

from matchmaking.fusion import COMPONENT_LABELS

register = template.Library()


@register.filter
def component_label(name):
    """A score component's name as a broker reads it, in their language."""
    return COMPONENT_LABELS.get(name, name)


@register.filter
def score_components(components):
    """A match's score components as (name, value) pairs, without its flags (cross_language)."""
    return [(name, value) for name, value in (components or {}).items() if name in COMPONENT_LABELS]
