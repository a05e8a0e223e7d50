from django import template

from matchmaking import fit
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


@register.inclusion_tag("_fit.html")
def fit_label(score):
    """The words beside a suggestion (strong / possible / weak fit), from its calibrated score."""
    verdict = fit.verdict(score)
    return {"verdict": verdict, "label": fit.LABELS[verdict]}
