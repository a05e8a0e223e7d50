"""Embedding records with the configured model; unchanged text is never embedded twice."""

import hashlib

import numpy as np

from achievements.models import Achievement, Expert
from enterprises.models import TechnologyNeed

from .encoders import get_encoders
from .models import Embedding, RecordKind


def achievement_text(a) -> str:
    return "\n".join(filter(None, [a.title, "，".join(a.keywords), a.abstract]))


def need_text(n) -> str:
    return "\n".join(filter(None, [n.title, "，".join(n.keywords), n.description]))


def expert_text(e) -> str:
    return "\n".join(filter(None, [e.title, e.expertise]))


SOURCES = {
    RecordKind.ACHIEVEMENT: (Achievement, achievement_text),
    RecordKind.NEED: (TechnologyNeed, need_text),
    RecordKind.EXPERT: (Expert, expert_text),
}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_records(*, kind: str, ids, encoder=None, batch_size: int = 64) -> int:
    """Embed the given records whose text changed since their last vector, under `encoder` or
    else under every configured model. Returns how many vectors were computed. Idempotent: a
    second run computes nothing."""
    if encoder is None:
        return sum(embed_records(kind=kind, ids=ids, encoder=e, batch_size=batch_size) for e in get_encoders())
    model, to_text = SOURCES[kind]
    texts = {obj.pk: to_text(obj) for obj in model.objects.filter(pk__in=list(ids))}
    if not texts:
        return 0
    known = dict(
        Embedding.objects.filter(kind=kind, model_name=encoder.name, object_id__in=list(texts)).values_list(
            "object_id", "text_hash"
        )
    )
    todo = [(pk, text, text_hash(text)) for pk, text in texts.items() if known.get(pk) != text_hash(text)]
    if not todo:
        return 0
    # Needs play the query side of a search; achievements and profiles the passage side.
    encode = encoder.encode_queries if kind == RecordKind.NEED else encoder.encode_passages
    vectors = encode([text for _, text, _ in todo])
    Embedding.objects.bulk_create(
        [
            Embedding(
                kind=kind,
                object_id=pk,
                model_name=encoder.name,
                text_hash=digest,
                dim=encoder.dim,
                vector=vector.astype(np.float32).tobytes(),
            )
            for (pk, _, digest), vector in zip(todo, vectors, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["kind", "object_id", "model_name"],
        update_fields=["text_hash", "dim", "vector", "updated_at"],
        batch_size=batch_size * 8,
    )
    return len(todo)


def load_spaces(kind: str, ids: list[int]) -> list[tuple[str, np.ndarray, bool]]:
    """(model name, vectors in the order of `ids`, multilingual) for every configured model."""
    return [(e.name, load_vectors(kind, ids, e.name, e.dim), e.multilingual) for e in get_encoders()]


def encode_query_spaces(texts: list[str]) -> dict[str, np.ndarray]:
    """Free-text queries under every configured model."""
    return {e.name: e.encode_queries(texts) for e in get_encoders()}


def load_vectors(kind: str, ids: list[int], model_name: str, dim: int) -> np.ndarray:
    """Vectors in the order of `ids`; a record not embedded yet gets a zero row."""
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    position = {pk: i for i, pk in enumerate(ids)}
    rows = Embedding.objects.filter(kind=kind, model_name=model_name, object_id__in=ids).values_list(
        "object_id", "vector"
    )
    for object_id, blob in rows.iterator(chunk_size=2000):
        vector = np.frombuffer(bytes(blob), dtype=np.float32)
        if vector.shape[0] == dim:
            matrix[position[object_id]] = vector
    return matrix
