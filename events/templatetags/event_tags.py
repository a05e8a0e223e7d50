from django import template

from events.participation import party as party_name

register = template.Library()


@register.filter
def party(registration) -> str:
    """A participant as lists and grids name it: its organisation (institution, enterprise or a
    broker's agency), else the person."""
    return party_name(registration)
