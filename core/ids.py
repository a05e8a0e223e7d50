"""Ids in URLs and form fields, validated one way everywhere.

A record id is 1 to 19 ASCII digits within the 64-bit range of the database's keys. `str.isdigit()`
is not enough (it accepts "²" and other Unicode digits that `int()` refuses), and an id beyond
64 bits is an OverflowError on SQLite: both must simply be "not found". The `id` path converter
(registered by core.api.routers, used by every router and by config/urls.py) and `parse_id()`
(for ids in query strings and posted forms) are the one place that decides.
"""

import re

MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """The id in `value` (a string or an int), or None if it is not a valid id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_int(value, *, minimum: int, maximum: int) -> int | None:
    """A small whole number from a query string (ASCII digits, optional minus), or None."""
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,19}", value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the URL does not match: a 404 like any missing object
        return number

    def to_url(self, value) -> str:
        return str(int(value))
