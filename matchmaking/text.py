"""Tokenisation for ranking: jieba for Chinese (search mode, so that compounds also yield
their parts), lower-cased words for English with a light plural stemmer, stopwords removed."""

import re

from core.text import FUNCTION_WORDS, HAN_CHARACTER, jieba

_WORD = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|[a-z]|\d+(?:\.\d+)?")
_HAN = HAN_CHARACTER
_HAN_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
BIGRAM_MARK = "#"
_NOISE = re.compile(r"^[\W_]+$")

ZH_STOPWORDS = frozenset(w for w in FUNCTION_WORDS if HAN_CHARACTER.search(w)) | frozenset(
    """的 了 和 与 及 或 在 对 等 中 为 是 将 把 被 以 其 并 由 从 于 上 下 而 也 都 该 此 这 那 之 则 即 如 各
    一种 一个 进行 通过 采用 利用 基于 用于 以及 可以 能够 具有 我们 本文 研究 方法 结果 表明 分析 提出 我 公司 希望
    技术 问题 相关 主要 目前 实现 提高 一定 不同 方面 作用 影响 情况 条件 要求 重点 关注 引进 领域 应用""".split()
)
EN_STOPWORDS = frozenset(w for w in FUNCTION_WORDS if not HAN_CHARACTER.search(w)) | frozenset(
    """a an the of for and or in on to with by from at as is are was were be been this that these those it its we our
    based using use used into than then can which such via over under new study paper results method methods
    show""".split()
)


_jieba = jieba  # the one loader (core/text.py)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str, *, bigrams: bool = True) -> list[str]:
    """Tokens of a text, repeats kept (term frequency matters). Chinese runs also yield
    their character bigrams (marked with `#`), which match across segmentation choices."""
    text = (text or "").lower()
    if not text:
        return []
    tokens: list[str] = []
    for piece in _jieba().cut_for_search(text):
        piece = piece.strip()
        if not piece or _NOISE.match(piece):
            continue
        if _HAN.search(piece):
            if piece not in ZH_STOPWORDS:
                tokens.append(piece)
        else:
            for word in _WORD.findall(piece):
                if word not in EN_STOPWORDS:
                    tokens.append(_stem(word))
    if bigrams:
        for run in _HAN_RUN.findall(text):
            tokens.extend(BIGRAM_MARK + run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def weighted_document(
    title: str = "", keywords=(), body: str = "", *, title_weight: int = 3, keyword_weight: int = 3
) -> list[str]:
    """Tokens of a record with field weights applied by repetition (a BM25F approximation):
    title and keywords count more than body text."""
    keyword_text = " ".join(keywords) if not isinstance(keywords, str) else keywords
    return (tokenize(title) * title_weight) + (tokenize(keyword_text) * keyword_weight) + tokenize(body)


_LATIN_WORD = re.compile(r"^[a-z][a-z\-]*[a-z]$")
# Words too generic to explain a match, beyond the stop-words the ranker already drops.
GENERIC_TERMS = frozenset(
    """面向 完成 可 能 新 新型 一种 系统 装置 方法 设备 产品 项目 企业 需求 成果 平台 开发 工艺 材料 设计 性能 提升
    降低 以上 以下 万元 要求 合作 产业化 国内 国际 行业 市场 工程 有限公司 大学 学院 研究院 ability system
    method device product project high low""".split()
)


def informative_terms(terms, *, limit: int = 8) -> list[str]:
    """Shared terms worth showing: whole English words of two letters or more, Chinese words of
    two characters or more, no stop-words, digits, bigram fragments or generic words, and no
    term that is part of a longer term also shown. `terms` come most informative first."""
    kept: list[str] = []
    for term in terms:
        if term.startswith(BIGRAM_MARK) or term in ZH_STOPWORDS or term in EN_STOPWORDS or term in GENERIC_TERMS:
            continue
        if _HAN.search(term):
            if len(term) < 2 or not all(_HAN.match(ch) for ch in term):
                continue
        elif not _LATIN_WORD.match(term):
            continue
        kept.append(term)
    longest_first = sorted(kept, key=len, reverse=True)
    whole = [t for t in kept if not any(t != other and t in other for other in longest_first)]
    return whole[:limit]
