"""Small text normalisers shared by services and importers."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
KEYWORD_SEPARATORS = re.compile(r"[,，;；、|\n]+")


def fold_title(title: str) -> str:
    """A key under which two spellings of the same title collide (width, case, spacing)."""
    text = unicodedata.normalize("NFKC", title or "").casefold()
    return _SPACES.sub("", text)


def clean_keywords(keywords) -> list[str]:
    """Keywords from a list or a separated string, trimmed, de-duplicated, in order."""
    if isinstance(keywords, str):
        keywords = KEYWORD_SEPARATORS.split(keywords)
    seen, result = set(), []
    for keyword in keywords or []:
        keyword = _SPACES.sub(" ", str(keyword)).strip()
        if keyword and keyword.casefold() not in seen:
            seen.add(keyword.casefold())
            result.append(keyword[:60])
    return result[:30]


def normalize_patent_number(number: str) -> str:
    text = unicodedata.normalize("NFKC", str(number or "")).upper()
    return re.sub(r"[\s\-]", "", text)


PATENT_NUMBER = re.compile(r"^[A-Z]{0,4}\d{6,14}(\.[\dX])?[A-Z]?\d?$")
