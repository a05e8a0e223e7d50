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


_HAN_CHARACTER = re.compile(r"[\u3400-\u9fff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str | None:
    """The language a text is written in, for matching and analysis: zh-hans when at least a
    quarter of it is Chinese characters (a Chinese text with English terms in it), en when it
    has Latin letters otherwise (an English text with a Chinese name in it), zh-hans for other
    text with Chinese characters, None when it has neither. The one detector of the platform: a
    record's declared language is used only where the text does not say."""
    text = (text or "").strip()
    han = len(_HAN_CHARACTER.findall(text))
    if han and han * 4 >= len(text):
        return "zh-hans"
    if _LATIN_LETTER.search(text):
        return "en"
    return "zh-hans" if han else None


def language_of(declared: str | None, *texts: str) -> str:
    """The language to match a record in: its text's, else the declared one."""
    return detect_language("\n".join(t for t in texts if t)) or declared or "zh-hans"
