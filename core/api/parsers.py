from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32  # far deeper than any request body of this API


def _depth_exceeds(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's parser, with a nesting limit: a body nested 1,000 levels deep is a 400, not a
    RecursionError (in the decoder, or later in validation and error rendering)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth_exceeds(data, MAX_JSON_DEPTH)
        if too_deep:
            raise ParseError(_("The JSON body is nested more than %(max)d levels deep.") % {"max": MAX_JSON_DEPTH})
        return data
