"""Text helpers shared by search, matching, analysis, services and importers: the one jieba
loader, the one language detector, the function words every text feature leaves out."""

import re
import unicodedata
from functools import lru_cache

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


HAN_CHARACTER = re.compile(r"[\u3400-\u9fff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
# words that carry no topic in either language: search ignores them, ranking and analysis add their
# own domain words on top (matchmaking/text.py)
FUNCTION_WORDS = frozenset(
    "的 了 和 与 及 或 在 对 等 中 为 是 把 被 将 一种 基于 用于 以及 the a an of for and or in on to with by".split()
)


@lru_cache(maxsize=1)
def jieba():
    """jieba, initialised once per process (its dictionary takes about a second to load)."""
    import jieba as segmenter

    segmenter.setLogLevel(60)
    segmenter.initialize()
    return segmenter


def detect_language(text: str) -> str | None:
    """The language a text is written in, for matching and analysis: zh-hans when at least a
    quarter of it is Chinese characters (a Chinese text with English terms in it), en when it
    has Latin letters otherwise (an English text with a Chinese name in it), zh-hans for other
    text with Chinese characters, None when it has neither. The one detector of the platform: a
    record's declared language is used only where the text does not say."""
    text = (text or "").strip()
    han = len(HAN_CHARACTER.findall(text))
    if han and han * 4 >= len(text):
        return "zh-hans"
    if LATIN_LETTER.search(text):
        return "en"
    return "zh-hans" if han else None


def language_of(declared: str | None, *texts: str) -> str:
    """The language to match a record in: its text's, else the declared one."""
    return detect_language("\n".join(t for t in texts if t)) or declared or "zh-hans"
