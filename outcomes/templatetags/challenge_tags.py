from django import template

from outcomes.models import criterion_label

register = template.Library()


@register.filter
def criterion_name(criterion):
    """A challenge's evaluation criterion in the reader's language (unless the committee named it)."""
    return criterion_label(criterion)
