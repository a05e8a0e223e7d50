"""Key technical terms of a text: candidate phrases, their features, a learned scorer.

Candidates are runs of one to five words (jieba with parts of speech; English words joined by
spaces) between punctuation and function words, so that compounds the segmenter splits
(模态|分析, power|semiconductor|device) come back whole. Each candidate is described by where and how
often it occurs, how specific it is in the platform's corpus (its document frequency and its words'),
how cohesive it is (the phrase's frequency against its rarest word's) and its word classes; a
logistic model over those features, learned from records whose authors gave keywords
(`fit_term_model`), ranks them. Measured on csl-dev in `bench/results/analysis-csl-dev.json`."""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from core.text import HAN_CHARACTER, LATIN_LETTER

from ..text import EN_STOPWORDS, GENERIC_TERMS, ZH_STOPWORDS, _jieba

_PUNCTUATION = re.compile(r"[，。；：、,.;:!?！？()（）\[\]【】{}<>《》\"“”'‘’/\\|\n\r\t…—–~·•]+")
_LATIN = LATIN_LETTER
_HAN = HAN_CHARACTER
# Word classes (jieba tags) that end a phrase: particles, prepositions, conjunctions, pronouns,
# interjections, onomatopoeia. Not adverbs: jieba tags many technical morphemes so (快速|测定,
# 比较|分子力场, 同步|录音), and the function-word list holds the true adverbs that break.
_BREAKING_TAGS = frozenset({"u", "uj", "ul", "uz", "ug", "uv", "ud", "p", "c", "r", "y", "e", "o", "zg"})
# A phrase does not start with a number, a measure word or a direction word, nor end with a number
# or a measure word (转化率到95 is a target, not a term).
_NO_START_TAGS = frozenset({"m", "q", "f", "mq"})
_NO_END_TAGS = frozenset({"m", "q", "mq"})
FUNCTION_WORDS = frozenset(
    """的 了 和 与 及 或 在 对 等 中 为 是 将 把 被 以 其 并 由 从 于 而 也 都 该 此 这 那 之 则 即 如 各 进行 通过 采用
    利用 基于 用于 以及 可以 能够 具有 我们 本文 表明 提出 文章 针对 根据 对于 其中 同时 得到 分别 发现 探讨 并且 从而
    因此 然后 为了 作为 给出 一种 一个 有 希望 需要 要求 如何 怎样 是否 能否 需 要 想 拟 计划 寻求 寻找 征集
    小于 大于 低于 高于 不低于 不高于 不超过 不少于 不大于 不小于 达到 超过 以内 以上 以下 左右 约 到 至 每
    并能 能 可 且 及其 使 让 用 由于 已 已经 正在 目前 现有""".split()
)
EN_FUNCTION_WORDS = EN_STOPWORDS | frozenset(
    """we our us you your they their need needs want wants look looks looking seek seeking require requires required
    should would could may might must will shall has have had do does did not no nor but if so also more most
    less least very about across after before between both each either every few how into its many much other
    own same some there what when where whether while who whom why within without able per than separately
    currently existing today first second third finally also like help too sometimes often usually still
    get gets got last lasts keep keeps kg g mm cm km kw kwh mah ma mv hz khz mhz ghz""".split()
)
EN_GENERIC_ALONE = frozenset(
    """week weeks month months day days year years hour hours minute minutes run runs part parts unit units
    solution solutions problem problems technology technologies system systems method methods product products
    company project team cost costs time performance quality need requirement requirements target targets
    hot cold high low new good better test tests testing pack""".split()
)
# Generic on their own, though fine inside a longer phrase (模态分析 yes, 分析 no).
GENERIC_ALONE = (
    ZH_STOPWORDS
    | GENERIC_TERMS
    | frozenset(
        """研究 分析 方法 应用 系统 基础 问题 条件 过程 方式 手段 内容 特点 水平 程度 意义 效果 能力 因素 模式 作用 技术
        设计 实验 试验 结果 数据 理论 影响 发展 建设 管理 工作 情况 措施 对策 机制 策略 途径 现状 原因 目的 思路
        合作 企业 需求 产品 成本 时间 周期 指标 目标 方案 项目 团队 公司 单位 行业 领域 国内 国外""".split()
    )
)
_NOT_ALONE = GENERIC_ALONE | EN_FUNCTION_WORDS | EN_GENERIC_ALONE
MAX_WORDS = 5
MAX_UNKNOWN_CHARS = 30
MAX_RECORD_CHARS = 5_000  # what the learner reads of a record (the analysis reads no more either)
MAX_TRAINING_ROWS = 200_000
MAX_CHARS = 24
MAX_LATIN_CHARS = 60


@dataclass
class Phrase:
    text: str
    words: tuple[str, ...]
    first_tag: str
    last_tag: str
    first_offset: int
    count: int = 0
    in_title: bool = False
    whole_runs: int = 0  # times it is a whole run between breaks (a phrase of its own)
    run_starts: int = 0
    run_ends: int = 0
    last_offset: int = 0
    clauses: set = field(default_factory=set)


@dataclass
class CorpusStats:
    """Document frequencies over the platform's records: of candidate phrases, of words, and of
    phrases as their authors' keywords (how often a phrase is chosen as a key term where it
    occurs: KEA's "keyphraseness")."""

    documents: int = 0
    phrase_df: dict[str, int] = field(default_factory=dict)
    word_df: dict[str, int] = field(default_factory=dict)
    keyword_df: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "documents": self.documents,
            "phrase_df": self.phrase_df,
            "word_df": self.word_df,
            "keyword_df": self.keyword_df,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CorpusStats":
        return cls(
            int(data.get("documents", 0)),
            dict(data.get("phrase_df", {})),
            dict(data.get("word_df", {})),
            dict(data.get("keyword_df", {})),
        )


def _tagged(text: str) -> list[tuple[str, str]]:
    """jieba's words and tags, with hyphenated Latin words (NB-IoT, Li-ion) kept whole."""
    from jieba import posseg

    frequencies = _jieba().dt.FREQ
    # jieba's HMM tags each character it does not know at ~7 ms (5,000 rare characters: 35 s of CPU);
    # text with more than a few such characters is tagged from the dictionary alone
    unknown = sum(1 for char in _HAN.findall(text) if char not in frequencies)
    pairs = [(pair.word, pair.flag) for pair in posseg.lcut(text, HMM=unknown <= MAX_UNKNOWN_CHARS)]
    merged: list[tuple[str, str]] = []
    for word, flag in pairs:
        if (
            merged
            and len(merged) >= 2
            and merged[-1][0] == "-"
            and _LATIN.match(merged[-2][0][-1:] or " ")
            and _LATIN.match(word)
        ):
            hyphen = merged.pop()
            previous = merged.pop()
            merged.append((previous[0] + hyphen[0] + word, "eng"))
        else:
            merged.append((word, flag))
    return merged


def _joined(words: list[str]) -> str:
    """Chinese words run together; a Latin word is spaced from a neighbouring Latin word."""
    out = ""
    for word in words:
        if out and _LATIN.match(word[0]) and _LATIN.match(out[-1]):
            out += " "
        out += word
    return out


def _clauses(title: str, text: str) -> list[tuple[str, bool, int]]:
    """(clause, is in the title, offset) for the title and the text."""
    result = []
    offset = 0
    for part, in_title in ((title, True), (text, False)):
        for clause in _PUNCTUATION.split(part or ""):
            if clause.strip():
                result.append((clause, in_title, offset))
            offset += len(clause) + 1
    return result


def _is_breaking(word: str, tag: str) -> bool:
    lowered = word.lower()
    if _LATIN.match(word):
        return lowered in EN_FUNCTION_WORDS
    return word in FUNCTION_WORDS or tag in _BREAKING_TAGS


def candidates(title: str, text: str) -> dict[str, Phrase]:
    """Every candidate phrase of a record, keyed by its text (first spelling seen)."""
    found: dict[str, Phrase] = {}
    keys: dict[str, str] = {}  # lower-cased -> the spelling kept
    for clause, in_title, offset in _clauses(title, text):
        runs: list[list[tuple[str, str, int]]] = [[]]
        position = offset
        for word, tag in _tagged(clause):
            start = position
            position += len(word)
            if not word.strip():
                continue  # a space between English words joins them
            if _is_breaking(word, tag) or (tag == "x" and not _LATIN.search(word) and not _HAN.search(word)):
                runs.append([])
                continue
            runs[-1].append((word, tag, start))
        for run in runs:
            for i in range(len(run)):
                if run[i][1] in _NO_START_TAGS:
                    continue
                for j in range(i + 1, min(len(run), i + MAX_WORDS) + 1):
                    if run[j - 1][1] in _NO_END_TAGS:
                        continue
                    words = [w for w, _, _ in run[i:j]]
                    phrase = _joined(words)
                    if not 2 <= len(phrase) <= (MAX_LATIN_CHARS if _LATIN.match(phrase) else MAX_CHARS):
                        continue
                    if j - i == 1 and phrase.lower() in _NOT_ALONE:
                        continue
                    if not _HAN.search(phrase) and not _LATIN.search(phrase):
                        continue
                    key = phrase.lower()
                    spelling = keys.setdefault(key, phrase)
                    entry = found.get(spelling)
                    if entry is None:
                        entry = found[spelling] = Phrase(
                            spelling, tuple(w.lower() for w in words), run[i][1], run[j - 1][1], run[i][2]
                        )
                    entry.count += 1
                    entry.in_title = entry.in_title or in_title
                    entry.run_starts += i == 0
                    entry.run_ends += j == len(run)
                    entry.whole_runs += i == 0 and j == len(run)
                    entry.last_offset = run[j - 1][2]
                    entry.clauses.add(offset)
    return found


def words_of(title: str, text: str) -> set[str]:
    """The distinct words of a record, for word document frequencies."""
    return {w.lower() for w, _ in _tagged(f"{title}\n{text}") if w.strip()}


TAGS = ("n", "nz", "vn", "v", "a", "eng", "nr", "ns", "nt", "l", "j", "x", "an", "i", "nrt", "ng", "b", "z", "s")


@lru_cache(maxsize=1)
def _general_idf() -> tuple[dict[str, float], float]:
    """jieba's own word IDF table (from a large general corpus): how generic a word is anywhere."""
    import jieba.analyse

    _jieba()
    table = jieba.analyse.default_tfidf
    return table.idf_freq, table.median_idf


@dataclass
class _Context:
    """What every candidate's features share, computed once per record (not per candidate: a
    long text has thousands of candidates)."""

    lowered_text: str
    longer_count: dict[str, int]
    longer_best: dict[str, int]
    counts: list[int]  # every candidate's count, ascending


def _context(found: dict[str, Phrase], full_text: str) -> _Context:
    """For each candidate, how many longer candidates contain it and the highest count among them,
    found by looking each candidate's substrings up (not by comparing every pair)."""
    by_lower = {key.lower(): key for key in found}
    longer_count: Counter = Counter()
    longer_best: dict[str, int] = {}
    for key, phrase in found.items():
        low = key.lower()
        inside = {low[i:j] for i in range(len(low)) for j in range(i + 1, len(low) + 1)} - {low}
        for sub in inside:
            contained = by_lower.get(sub)
            if contained is not None:
                longer_count[contained] += 1
                longer_best[contained] = max(longer_best.get(contained, 0), phrase.count)
    return _Context(full_text.lower(), longer_count, longer_best, sorted(p.count for p in found.values()))


def features(
    phrase: Phrase,
    found: dict[str, Phrase],
    full_text: str,
    title: str,
    stats: CorpusStats,
    context: _Context | None = None,
) -> list[float]:
    from bisect import bisect_right

    context = context or _context(found, full_text)
    idf_table, median_idf = _general_idf()
    frequencies = _jieba().dt.FREQ
    documents = max(stats.documents, 1)
    df = stats.phrase_df.get(phrase.text.lower(), 0)
    idf = math.log((documents + 1) / (df + 0.5))
    lowered = context.lowered_text
    text = phrase.text.lower()
    longer = context.longer_count.get(phrase.text, 0)
    rarest_word_df = min(stats.word_df.get(w, 0) for w in phrase.words) + 1
    general = [idf_table.get(w, median_idf) for w in phrase.words]
    # a Chinese word is about two characters: an English phrase is measured in those units
    length = len(phrase.text) if _HAN.search(phrase.text) else 2 * len(phrase.words)
    rank_by_count = (len(context.counts) - bisect_right(context.counts, phrase.count)) / max(len(found), 1)
    chosen = stats.keyword_df.get(text, 0)
    values = [
        math.log1p(phrase.count),
        float(phrase.in_title),
        phrase.first_offset / max(len(full_text), 1),
        float(length),
        float(len(phrase.words)),
        idf,
        idf * math.log1p(phrase.count),
        math.log1p(longer),
        float(context.longer_best.get(phrase.text, 0) >= phrase.count and longer > 0),
        float(bool(_LATIN.search(phrase.text))),
        float(df == 0),
        math.log(df + 1) - math.log(rarest_word_df),
        math.log(rarest_word_df),
        float(phrase.first_offset < 40),
        math.log1p(lowered.count(text)),
        float(text in title.lower()),
        min(general),
        max(general),
        sum(general) / len(general),
        math.log1p(frequencies.get(phrase.text, 0) or 0),
        float(phrase.text in frequencies),
        math.log1p(phrase.whole_runs),
        phrase.run_starts / phrase.count,
        phrase.run_ends / phrase.count,
        float(phrase.first_tag == "t" or phrase.last_tag == "t"),
        rank_by_count,
        phrase.last_offset / max(len(full_text), 1),
        (phrase.last_offset - phrase.first_offset) / max(len(full_text), 1),
        math.log1p(len(phrase.clauses)),
        math.log1p(chosen),
        (chosen + 0.1) / (df + 1),  # chosen as a keyword where it occurs
    ]
    values += [float(phrase.last_tag == t) for t in TAGS]
    values += [float(phrase.first_tag == t) for t in TAGS]
    values += [float(length == k) for k in range(2, 9)]
    return values


FEATURE_COUNT = 31 + 2 * len(TAGS) + 7


@dataclass
class TermModel:
    """Gradient-boosted trees over `features` (scikit-learn's, fitted by `fit_term_model`), kept
    as plain arrays so that the analysis model stores them as JSON and scores without sklearn."""

    trees: list[dict]  # each: feature, threshold, left, right, value (per node; leaves have feature -1)
    learning_rate: float
    baseline: float
    trained_on: int = 0  # records with keywords it was fitted on

    def score(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        raw = np.full(len(rows), self.baseline)
        every = np.arange(len(rows))
        for tree in self.trees:
            node = np.zeros(len(rows), dtype=np.int64)
            feature, threshold = tree["feature"], tree["threshold"]
            while True:
                inner = feature[node] >= 0
                if not inner.any():
                    break
                go_left = rows[every, np.where(inner, feature[node], 0)] <= threshold[node]
                node = np.where(inner, np.where(go_left, tree["left"][node], tree["right"][node]), node)
            raw += self.learning_rate * tree["value"][node]
        return 1.0 / (1.0 + np.exp(-raw))

    def to_dict(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "baseline": self.baseline,
            "trained_on": self.trained_on,
            "features": FEATURE_COUNT,
            "trees": [
                {
                    "feature": t["feature"].tolist(),
                    "threshold": [round(float(x), 6) for x in t["threshold"]],
                    "left": t["left"].tolist(),
                    "right": t["right"].tolist(),
                    "value": [round(float(x), 6) for x in t["value"]],
                }
                for t in self.trees
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TermModel":
        if data.get("features") != FEATURE_COUNT:
            raise ValueError(f"a term model over {data.get('features')} features, not {FEATURE_COUNT}")
        trees = [
            {
                "feature": np.asarray(t["feature"], dtype=np.int64),
                "threshold": np.asarray(t["threshold"], dtype=np.float64),
                "left": np.asarray(t["left"], dtype=np.int64),
                "right": np.asarray(t["right"], dtype=np.int64),
                "value": np.asarray(t["value"], dtype=np.float64),
            }
            for t in data["trees"]
        ]
        return cls(trees, float(data["learning_rate"]), float(data["baseline"]), int(data.get("trained_on", 0)))


def corpus_stats(records, keywords=None) -> tuple[CorpusStats, list[dict[str, Phrase]]]:
    """Document frequencies over records ((title, text) pairs) and, given each record's keywords,
    how often each phrase is one; and each record's candidates."""
    phrase_df: Counter = Counter()
    word_df: Counter = Counter()
    keyword_df: Counter = Counter()
    found_per_record = []
    for k, (title, text) in enumerate(records):
        text = (text or "")[:MAX_RECORD_CHARS]
        found = candidates(title, text)
        found_per_record.append(found)
        phrase_df.update({key.lower() for key in found})
        word_df.update(words_of(title, text))
        if keywords is not None:
            keyword_df.update(_keyword_set(keywords[k]))
    stats = CorpusStats(len(found_per_record), dict(phrase_df), dict(word_df), dict(keyword_df))
    return stats, found_per_record


def _keyword_set(keywords) -> set[str]:
    return {k.strip().lower() for k in keywords or () if k.strip()}


def compact(stats: CorpusStats) -> CorpusStats:
    """Only what a frequency of one cannot say by default: phrases and words seen twice or more
    (a phrase the stats lack counts as new, one occurrence changes little)."""
    return CorpusStats(
        stats.documents,
        {k: v for k, v in stats.phrase_df.items() if v >= 2},
        {k: v for k, v in stats.word_df.items() if v >= 2},
        dict(stats.keyword_df),  # few, and each one says much
    )


def fit_term_model(records, keywords, stats: CorpusStats, found_per_record) -> TermModel:
    """Learn the scorer from records with their authors' keywords. A record is counted in the
    corpus statistics it is described by, so its own occurrence is taken out (leave one out):
    a draft being analysed is not in the corpus either."""
    from sklearn.ensemble import GradientBoostingClassifier

    rows, labels = [], []
    for (title, text), gold, found in zip(records, keywords, found_per_record, strict=True):
        gold = _keyword_set(gold)
        if not gold:
            continue
        own = _without_record(stats, found, words_of(title, text), gold)
        full_text = f"{title}\n{text}"
        context = _context(found, full_text)
        for phrase in found.values():
            rows.append(features(phrase, found, full_text, title, own, context))
            labels.append(phrase.text.lower() in gold)
        _restore(stats, found, words_of(title, text), gold)
    if not rows or len(set(labels)) < 2:
        raise ValueError("too few records with keywords found in their own text to learn key terms from")
    matrix = np.asarray(rows, dtype=np.float64)
    target = np.asarray(labels)
    if len(matrix) > MAX_TRAINING_ROWS:  # a large platform: a fixed sample is plenty
        keep = np.random.default_rng(0).choice(len(matrix), MAX_TRAINING_ROWS, replace=False)
        matrix, target = matrix[keep], target[keep]
    fitted = GradientBoostingClassifier(
        n_estimators=300, max_depth=4, learning_rate=0.05, subsample=0.5, random_state=0
    ).fit(matrix, target)
    trees = []
    for (estimator,) in fitted.estimators_:
        tree = estimator.tree_
        trees.append(
            {
                "feature": np.where(tree.children_left >= 0, tree.feature, -1).astype(np.int64),
                "threshold": tree.threshold.astype(np.float64),
                "left": tree.children_left.astype(np.int64),
                "right": tree.children_right.astype(np.int64),
                "value": tree.value[:, 0, 0].astype(np.float64),
            }
        )
    prior = float(target.mean())
    baseline = math.log(prior / (1 - prior))
    return TermModel(trees, float(fitted.learning_rate), baseline, sum(1 for gold in keywords if gold))


def _without_record(stats: CorpusStats, found, words, keywords=frozenset()) -> CorpusStats:
    for key in {k.lower() for k in found}:
        stats.phrase_df[key] = stats.phrase_df.get(key, 1) - 1
    for word in words:
        stats.word_df[word] = stats.word_df.get(word, 1) - 1
    if stats.keyword_df:  # counted only when the statistics were given the keywords
        for keyword in keywords:
            stats.keyword_df[keyword] = stats.keyword_df.get(keyword, 1) - 1
    stats.documents -= 1
    return stats


def _restore(stats: CorpusStats, found, words, keywords=frozenset()) -> None:
    for key in {k.lower() for k in found}:
        stats.phrase_df[key] = stats.phrase_df.get(key, 0) + 1
    for word in words:
        stats.word_df[word] = stats.word_df.get(word, 0) + 1
    if stats.keyword_df:
        for keyword in keywords:
            stats.keyword_df[keyword] = stats.keyword_df.get(keyword, 0) + 1
    stats.documents += 1


TOP_TERMS = 5


def f1_at(predicted: list[str], gold: list[str], k: int = TOP_TERMS) -> float:
    """Exact-match F1 of the top `k` predicted terms against the authors' keywords (case folded)."""
    predicted = [p.strip().lower() for p in predicted[:k]]
    gold = {g.strip().lower() for g in gold if g.strip()}
    hits = len(set(predicted) & gold)
    if not hits:
        return 0.0
    precision, recall = hits / len(predicted), hits / len(gold)
    return 2 * precision * recall / (precision + recall)


def key_terms(title: str, text: str, model: TermModel, stats: CorpusStats, *, limit: int = 10) -> list[dict]:
    """The text's key terms, best first: [{"term", "score"}] with the model's probability."""
    found = candidates(title, text)
    if not found:
        return []
    phrases = list(found.values())
    full_text = f"{title}\n{text}"
    context = _context(found, full_text)
    rows = np.asarray([features(p, found, full_text, title, stats, context) for p in phrases], dtype=np.float64)
    scores = model.score(rows)
    order = sorted(range(len(phrases)), key=lambda i: (-scores[i], phrases[i].first_offset))
    return [{"term": phrases[i].text, "score": round(float(scores[i]), 4)} for i in order[:limit]]
