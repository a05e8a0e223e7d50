"""The local backend's records of one kind: slot-indexed metadata and an inverted index.

Each stored record occupies a slot (a row in the growable columns below). Replacing or deleting a
record marks its slot dead (a tombstone) and, for a replacement, appends a new slot; nothing is
rebuilt. Costs, with u = the record's distinct terms:

- upsert: O(u) (one append to each of its terms' postings, df and length counters updated);
- delete: O(u) (df and length counters; the dead postings stay until their term is compacted);
- a term's postings are compacted when more than half of them are dead, and the slots are
  renumbered when dead slots outnumber live ones: each dead posting or slot is copied at most once
  before it is dropped, so both are amortised O(1) per update (`postings_compacted` counts them).

Corpus statistics (documents, total length, df per term) are exact after every update.

Postings are `array('I')` per term, each entry `slot << TF_BITS | min(tf, TF_MAX)`; the rare term
frequencies >= TF_MAX are kept exactly in `tf_overflow`. BM25 for a query is vectorised: the
query terms' postings are concatenated, weighted and summed per slot with `np.bincount`."""

from array import array
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from .base import K1, B, LexicalStats

TF_BITS = 8
TF_MAX = (1 << TF_BITS) - 1  # a stored tf of TF_MAX means "look it up in tf_overflow"
MAX_SLOTS = 1 << (32 - TF_BITS)
# Compaction thresholds (see the module docstring).
TERM_COMPACT_MIN_DEAD = 8
SLOT_COMPACT_MIN_DEAD = 1024


class Column:
    """A growable 1-d numpy array (amortised O(1) append); `view()` is the live prefix."""

    def __init__(self, dtype, values=None):
        data = np.asarray(values if values is not None else [], dtype=dtype)
        self.n = len(data)
        self.data = np.empty(max(16, self.n), dtype=dtype)
        self.data[: self.n] = data

    def append(self, value) -> int:
        if self.n == len(self.data):
            grown = np.empty(2 * len(self.data), dtype=self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n] = value
        self.n += 1
        return self.n - 1

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def __len__(self) -> int:
        return self.n


class DocumentFrequencies(Mapping):
    """An immutable view of df (term -> documents containing it) at one moment.

    It shares the append-only vocabulary with the live index and copies only the df array,
    so taking one is cheap (a memcpy of one int per term) and later updates do not change it."""

    def __init__(self, vocabulary: dict[str, int], terms: list[str], df: np.ndarray):
        self._vocabulary = vocabulary
        self._terms = terms
        self._df = df
        self._length = int(np.count_nonzero(df))

    def __getitem__(self, term: str) -> int:
        index = self._vocabulary.get(term)
        if index is None or index >= len(self._df) or not self._df[index]:
            raise KeyError(term)
        return int(self._df[index])

    def get(self, term, default=None):
        index = self._vocabulary.get(term)
        if index is None or index >= len(self._df) or not self._df[index]:
            return default
        return int(self._df[index])

    def __contains__(self, term) -> bool:
        return self.get(term) is not None

    def __iter__(self) -> Iterator[str]:
        for index in np.flatnonzero(self._df):
            yield self._terms[index]

    def __len__(self) -> int:
        return self._length


class KindStore:
    """Records of one kind: ids, audience, language, owner, attrs, tokens and postings by slot."""

    def __init__(self, kind: str):
        self.kind = kind
        self.slot_of: dict[int, int] = {}  # record id -> live slot
        self.ids = Column(np.int64)
        self.alive = Column(np.bool_)
        self.audience = Column(np.int16)  # code into self.audiences
        self.length = Column(np.int64)
        self.tokens: list[np.ndarray | None] = []  # term ids in document order (None once dead)
        self.language: list[str | None] = []
        self.language_code = Column(np.int16)  # code into self.languages, per slot: masks by language
        self.languages: list[str | None] = []
        self.language_index: dict[str | None, int] = {}
        self.owner: list[int | None] = []
        self.attrs: list[dict | None] = []
        self.audiences: list[str] = []
        self.audience_code: dict[str, int] = {}
        self.audience_count: dict[int, int] = {}
        # The lexical index.
        self.vocabulary: dict[str, int] = {}
        self.terms: list[str] = []
        self.df = Column(np.int64)
        self.postings: list[array] = []
        self.dead_postings = Column(np.int64)
        self.tf_overflow: dict[tuple[int, int], int] = {}  # (term id, slot) -> tf >= TF_MAX
        self.documents = 0
        self.total_length = 0
        # Work counters, to show (and test) that updates cost O(record), not O(corpus).
        self.postings_appended = 0
        self.postings_compacted = 0
        self.slots_compacted = 0
        self._stats: LexicalStats | None = None
        self.compact_hooks: list = []  # called with the old slots kept, in order, after a compaction

    # -- updates ---------------------------------------------------------------------------

    def term_ids(self, tokens: Sequence[str]) -> np.ndarray:
        """The tokens as term ids, adding new terms to the vocabulary."""
        vocabulary = self.vocabulary
        ids = np.empty(len(tokens), dtype=np.int32)
        for i, token in enumerate(tokens):
            term = vocabulary.get(token)
            if term is None:
                term = vocabulary[token] = len(self.terms)
                self.terms.append(token)
                self.df.append(0)
                self.postings.append(array("I"))
                self.dead_postings.append(0)
            ids[i] = term
        return ids

    def add(self, record_id: int, tokens: Sequence[str], audience: str, language, owner, attrs) -> int:
        """Store a record (its old version, if any, must have been removed). Returns its slot."""
        if record_id in self.slot_of:
            raise ValueError(f"{self.kind} {record_id} is stored already")
        if len(self.alive) + 1 > MAX_SLOTS:
            self.compact()
            if len(self.alive) + 1 > MAX_SLOTS:
                raise ValueError(f"the local matching index holds at most {MAX_SLOTS} records of a kind")
        term_ids = self.term_ids(tokens)
        slot = self.alive.append(True)
        self.ids.append(record_id)
        code = self.audience_code.get(audience)
        if code is None:
            code = self.audience_code[audience] = len(self.audiences)
            self.audiences.append(audience)
        self.audience.append(code)
        self.audience_count[code] = self.audience_count.get(code, 0) + 1
        self.length.append(len(term_ids))
        self.tokens.append(term_ids)
        self.language.append(language)
        self.language_code.append(self._language_code(language))
        self.owner.append(owner)
        self.attrs.append(attrs)
        self.slot_of[record_id] = slot
        unique, counts = np.unique(term_ids, return_counts=True)
        df = self.df.data
        for term, tf in zip(unique.tolist(), counts.tolist(), strict=True):
            if tf >= TF_MAX:
                self.tf_overflow[(term, slot)] = tf
                tf = TF_MAX
            self.postings[term].append(slot << TF_BITS | tf)
            df[term] += 1
        self.postings_appended += len(unique)
        self.documents += 1
        self.total_length += len(term_ids)
        self._stats = None
        return slot

    def remove(self, record_id: int) -> bool:
        """Tombstone a record's slot and take it out of the statistics; False if unknown."""
        slot = self.slot_of.pop(record_id, None)
        if slot is None:
            return False
        term_ids = self.tokens[slot]
        unique, counts = np.unique(term_ids, return_counts=True)
        df, dead = self.df.data, self.dead_postings.data
        for term, tf in zip(unique.tolist(), counts.tolist(), strict=True):
            df[term] -= 1
            dead[term] += 1
            if tf >= TF_MAX:
                del self.tf_overflow[(term, slot)]
        self.alive.data[slot] = False
        code = int(self.audience.data[slot])
        self.audience_count[code] -= 1
        self.tokens[slot] = None
        self.language[slot] = self.owner[slot] = self.attrs[slot] = None
        self.documents -= 1
        self.total_length -= len(term_ids)
        self._stats = None
        for term in unique.tolist():
            postings = self.postings[term]
            if dead[term] >= TERM_COMPACT_MIN_DEAD and 2 * dead[term] > len(postings):
                self._compact_term(term)
        dead_slots = len(self.alive) - len(self.slot_of)
        if dead_slots >= SLOT_COMPACT_MIN_DEAD and dead_slots > len(self.slot_of):
            self.compact()
        return True

    def _compact_term(self, term: int) -> None:
        packed = np.frombuffer(self.postings[term], dtype=np.uint32)
        keep = packed[self.alive.data[packed >> TF_BITS]]
        self.postings_compacted += len(packed)
        del packed
        self.postings[term] = array("I", keep.tobytes())
        self.dead_postings.data[term] = 0

    def compact(self) -> None:
        """Renumber the live slots 0..n-1 and drop dead postings and unused terms: O(corpus),
        run when dead slots outnumber live ones (amortised) and before a snapshot."""
        alive = self.alive.view()
        live = np.flatnonzero(alive)
        new_slot = np.full(len(alive), -1, dtype=np.int64)
        new_slot[live] = np.arange(len(live))
        used = self.df.view() > 0
        new_term = np.full(len(used), -1, dtype=np.int64)
        new_term[used] = np.arange(int(used.sum()))
        postings = []
        for term in np.flatnonzero(used).tolist():
            packed = np.frombuffer(self.postings[term], dtype=np.uint32)
            slots = packed >> TF_BITS
            kept = packed[alive[slots]]
            self.postings_compacted += len(packed)
            renumbered = (new_slot[kept >> TF_BITS].astype(np.uint32) << TF_BITS) | (kept & TF_MAX)
            postings.append(array("I", renumbered.astype(np.uint32).tobytes()))
        self.slots_compacted += len(alive)
        self.postings = postings
        self.terms = [self.terms[t] for t in np.flatnonzero(used).tolist()]
        self.vocabulary = {term: i for i, term in enumerate(self.terms)}
        self.df = Column(np.int64, self.df.view()[used])
        self.dead_postings = Column(np.int64, np.zeros(len(self.terms)))
        self.tf_overflow = {
            (int(new_term[term]), int(new_slot[slot])): tf for (term, slot), tf in self.tf_overflow.items()
        }
        self.tokens = [new_term[self.tokens[s]].astype(np.int32) for s in live.tolist()]
        self.language = [self.language[s] for s in live.tolist()]
        self.language_code = Column(np.int16, self.language_code.view()[live])
        self.owner = [self.owner[s] for s in live.tolist()]
        self.attrs = [self.attrs[s] for s in live.tolist()]
        self.ids = Column(np.int64, self.ids.view()[live])
        self.alive = Column(np.bool_, np.ones(len(live), dtype=bool))
        self.audience = Column(np.int16, self.audience.view()[live])
        self.length = Column(np.int64, self.length.view()[live])
        self.slot_of = {int(record_id): i for i, record_id in enumerate(self.ids.view().tolist())}
        self._stats = None
        for hook in self.compact_hooks:  # slot-indexed data kept elsewhere (the vectors)
            hook(live)

    # -- reads -----------------------------------------------------------------------------

    def stats(self) -> LexicalStats:
        if self._stats is None:
            average = self.total_length / self.documents if self.documents else 0.0
            df = DocumentFrequencies(self.vocabulary, self.terms, self.df.view().copy())
            self._stats = LexicalStats(self.documents, average, df)
        return self._stats

    def eligible(self, audiences: Sequence[str] | None, exclude_slots: Sequence[int] = ()) -> np.ndarray:
        """A mask over slots: live, in one of `audiences` (None: any), not excluded."""
        mask = self.alive.view().copy()
        if audiences is not None:
            codes = [self.audience_code[a] for a in audiences if a in self.audience_code]
            mask &= np.isin(self.audience.view(), np.asarray(codes, dtype=np.int16))
        if len(exclude_slots):
            mask[np.asarray(exclude_slots, dtype=np.int64)] = False
        return mask

    def _language_code(self, language: str | None) -> int:
        code = self.language_index.get(language)
        if code is None:
            code = self.language_index[language] = len(self.languages)
            self.languages.append(language)
        return code

    def not_in_language(self, language: str | None) -> np.ndarray:
        """A mask over slots: records in any other language than `language` (dead slots included:
        combine it with `eligible`)."""
        code = self.language_index.get(language)
        codes = self.language_code.view()
        return np.ones(len(codes), dtype=bool) if code is None else codes != code

    def eligible_count(self, audiences: Sequence[str] | None) -> int:
        if audiences is None:
            return len(self.slot_of)
        return sum(self.audience_count.get(self.audience_code[a], 0) for a in set(audiences) if a in self.audience_code)

    def _postings(self, term_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(slots, tf, query term position) of every posting of these terms, in term order."""
        parts = [np.frombuffer(self.postings[t], dtype=np.uint32) for t in term_ids]
        lengths = [len(p) for p in parts]
        packed = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
        del parts
        slots = (packed >> TF_BITS).astype(np.int64)
        tf = (packed & TF_MAX).astype(np.float64)
        position = np.repeat(np.arange(len(term_ids)), lengths)
        if self.tf_overflow:
            for i in np.flatnonzero(tf == TF_MAX).tolist():
                # a dead slot's overflow count is gone with it (its posting stays until compaction)
                tf[i] = self.tf_overflow.get((term_ids[position[i]], int(slots[i])), TF_MAX)
        return slots, tf, position

    def bm25_all(self, terms: dict[str, int], stats: LexicalStats) -> tuple[np.ndarray, dict]:
        """BM25 of `terms` for every slot (0 for records sharing none), and the postings used,
        which give each slot's shared terms: the vectorised form of `base.bm25_scores`."""
        term_ids = [self.vocabulary[t] for t in terms]
        slots, tf, position = self._postings(term_ids)
        weights = np.array([stats.idf(t) for t in terms], dtype=np.float64)
        counts = np.array(list(terms.values()), dtype=np.float64)
        norm = K1 * (1 - B + B * self.length.data[slots] / (stats.average_length or 1.0))
        # The same operations, in the same order, as bm25_scores (so the sums agree exactly).
        contributions = counts[position] * weights[position] * tf * (K1 + 1) / (tf + norm)
        scores = np.bincount(slots, weights=contributions, minlength=len(self.alive))
        return scores, {"slots": slots, "position": position, "weights": weights}

    def shared_terms(self, terms: dict[str, int], postings: dict, slots: Sequence[int]) -> dict[int, list[str]]:
        """Slot -> the query terms it contains, most informative first (as bm25_scores orders them)."""
        names = list(terms)
        weights = postings["weights"]
        wanted = np.zeros(len(self.alive), dtype=bool)
        wanted[np.asarray(slots, dtype=np.int64)] = True
        chosen = wanted[postings["slots"]]
        shared: dict[int, list[int]] = {int(s): [] for s in slots}
        pairs = zip(postings["slots"][chosen].tolist(), postings["position"][chosen].tolist(), strict=True)
        for slot, position in pairs:
            shared[slot].append(position)
        return {
            slot: [names[p] for p in sorted(positions, key=lambda p: (-weights[p], names[p]))]
            for slot, positions in shared.items()
        }

    def top(self, scores: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
        """The slots of the k highest positive scores among `mask`, ties broken by record id."""
        candidates = np.flatnonzero(mask & (scores > 0))
        if len(candidates) > k:
            values = scores[candidates]
            kth = np.partition(values, len(values) - k)[len(values) - k]
            above = candidates[values > kth]
            ties = candidates[values == kth]
            if len(above) + len(ties) > k:
                ties = ties[np.argsort(self.ids.data[ties], kind="stable")[: k - len(above)]]
            candidates = np.concatenate([above, ties])
        return candidates

    # -- snapshots -------------------------------------------------------------------------

    def to_arrays(self, encode_attrs=None) -> tuple[dict[str, np.ndarray], dict]:
        """The store as numpy arrays plus a JSON-able part, dead slots included (marked in
        `alive`, their postings kept): a snapshot then costs copies, not a compaction of the whole
        store, while readers wait for it; the compaction stays amortised (see remove)."""
        alive = self.alive.view()
        lengths = [len(p) for p in self.postings]
        overflow = np.array([(t, s, tf) for (t, s), tf in self.tf_overflow.items()], dtype=np.int64).reshape(-1, 3)
        languages = sorted({language for language in self.language if language is not None})
        language_code = {language: i for i, language in enumerate(languages)}
        empty = np.empty(0, dtype=np.int32)
        arrays = {
            "ids": self.ids.view(),
            "alive": alive,
            "audience": self.audience.view(),
            "length": np.where(alive, self.length.view(), 0),
            "tokens": np.concatenate([t if t is not None else empty for t in self.tokens]) if self.tokens else empty,
            "df": self.df.view(),
            "postings": np.frombuffer(b"".join(p.tobytes() for p in self.postings), dtype=np.uint32),
            "posting_lengths": np.asarray(lengths, dtype=np.int64),
            "tf_overflow": overflow,
            "owner": np.array([o if o is not None else 0 for o in self.owner], dtype=np.int64),
            "has_owner": np.array([o is not None for o in self.owner], dtype=bool),
            "language": np.array([language_code[x] if x is not None else -1 for x in self.language], dtype=np.int32),
        }
        meta = {
            "terms": self.terms,
            "audiences": self.audiences,
            "languages": languages,
            # None: the attrs themselves (a shallow copy; the store replaces, never mutates, them)
            "attrs": list(self.attrs) if encode_attrs is None else [encode_attrs(a) for a in self.attrs],
        }
        return arrays, meta

    @classmethod
    def from_arrays(cls, kind: str, arrays, meta: dict, decode_attrs) -> "KindStore":
        store = cls(kind)
        ids = arrays["ids"]
        n = len(ids)
        store.ids = Column(np.int64, ids)
        alive = np.asarray(arrays["alive"], dtype=bool) if "alive" in arrays else np.ones(n, dtype=bool)
        store.alive = Column(np.bool_, alive)
        store.audience = Column(np.int16, arrays["audience"])
        store.length = Column(np.int64, arrays["length"])
        lengths = store.length.view()
        store.tokens = np.split(arrays["tokens"].astype(np.int32, copy=False), np.cumsum(lengths)[:-1]) if n else []
        store.tokens = [t if live else None for t, live in zip(store.tokens, alive.tolist(), strict=True)]
        store.audiences = list(meta["audiences"])
        store.audience_code = {a: i for i, a in enumerate(store.audiences)}
        counts = np.bincount(store.audience.view()[alive], minlength=len(store.audiences))
        store.audience_count = {i: int(c) for i, c in enumerate(counts.tolist())}
        languages = meta["languages"]
        store.language = [languages[c] if c >= 0 else None for c in arrays["language"].tolist()]
        store.languages = [*languages, None]  # a snapshot's -1 (a dead slot) reads as the last code
        store.language_index = {language: i for i, language in enumerate(store.languages)}
        codes = np.asarray(arrays["language"], dtype=np.int64)
        store.language_code = Column(np.int16, np.where(codes >= 0, codes, len(languages)))
        has_owner = arrays["has_owner"].tolist()
        store.owner = [o if h else None for o, h in zip(arrays["owner"].tolist(), has_owner, strict=True)]
        store.attrs = [decode_attrs(a) for a in meta["attrs"]]
        store.slot_of = {
            record_id: slot for slot, record_id in zip(np.flatnonzero(alive).tolist(), ids[alive].tolist(), strict=True)
        }
        store.terms = list(meta["terms"])
        store.vocabulary = {term: i for i, term in enumerate(store.terms)}
        store.df = Column(np.int64, arrays["df"])
        packed = arrays["postings"]
        term_of_posting = np.repeat(np.arange(len(store.terms)), arrays["posting_lengths"])
        dead = ~alive[(packed >> TF_BITS).astype(np.int64)] if len(packed) else np.zeros(0, dtype=bool)
        store.dead_postings = Column(np.int64, np.bincount(term_of_posting[dead], minlength=len(store.terms)))
        ends = np.cumsum(arrays["posting_lengths"]).tolist()
        starts = [0, *ends[:-1]]
        store.postings = [array("I", packed[a:b].tobytes()) for a, b in zip(starts, ends, strict=True)]
        store.tf_overflow = {(int(t), int(s)): int(tf) for t, s, tf in arrays["tf_overflow"].tolist()}
        store.documents = int(alive.sum())
        store.total_length = int(lengths.sum())  # dead slots are stored with length 0
        return store
