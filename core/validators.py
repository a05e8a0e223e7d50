"""Validators for Chinese registration identifiers, and the plausible ranges and character
rules of every title, text, amount and date."""

import datetime
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the 31 characters allowed in a unified social credit code (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper()


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        raise ValidationError(
            _("The unified social credit code contains a character that is not allowed: %(char)s."),
            code="uscc_charset",
            params={"char": bad[0]},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the administrative division code (digits)."),
            code="uscc_region",
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check digit of this unified social credit code is wrong: please check it for typos."),
            code="uscc_check_digit",
        )


# -- Plausible values for what people type: one set of rules on the model fields, so the API,
# the web forms (model forms and services call full_clean) and the spreadsheet import agree.

LONG_TEXT_MAX = 20_000  # an abstract, a need's description, a proposal
NOTE_MAX = 5_000  # notes, comments, messages, descriptions of organisations
AMOUNT_MAX = Decimal("1000000")  # 10k CNY: 100亿元, beyond any technology contract
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)

# Bidirectional overrides and isolates can make a title display as something else (Trojan Source).
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_character(value: str, allowed: str = "") -> str | None:
    for char in value or "":
        if char in allowed:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def _invisible(value: str) -> bool:
    """Only spaces and invisible format characters (zero-width spaces, joiners, BOM): a title of
    these passes "required" and shows as nothing."""
    return bool(value) and all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value)


def _require_visible(value: str) -> None:
    if _invisible(value):
        message = _("Type some visible text: this holds only spaces or invisible characters.")
        raise ValidationError(message, code="blank")


def validate_single_line(value: str) -> None:
    """Titles and names: no control characters at all (no line breaks, tabs, NUL or bidi overrides),
    and something visible."""
    _require_visible(value)
    char = _bad_character(value)
    if char is not None:
        raise ValidationError(
            _("Remove the control character U+%(code)04X: titles and names are one line of plain text."),
            code="control_character",
            params={"code": ord(char)},
        )


def validate_multiline_text(value: str) -> None:
    """Longer texts may hold line breaks and tabs, but no other control character, and something
    visible."""
    _require_visible(value)
    char = _bad_character(value, allowed="\t\n\r")
    if char is not None:
        raise ValidationError(
            _("Remove the control character U+%(code)04X from the text."),
            code="control_character",
            params={"code": ord(char)},
        )


def validate_plausible_date(value) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Give a date between %(earliest)s and %(latest)s."),
            code="implausible_date",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


SINGLE_LINE = [validate_single_line]
DATE_RANGE = [validate_plausible_date]
AMOUNT_RANGE = [MinValueValidator(0), MaxValueValidator(AMOUNT_MAX)]


def long_text(max_length: int = LONG_TEXT_MAX) -> list:
    return [MaxLengthValidator(max_length), validate_multiline_text]
