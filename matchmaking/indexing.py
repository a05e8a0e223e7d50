"""Keeping the stored index in step with the database, and records as queries.

Called by the embedding task after a record's vectors are stored: published achievements,
published needs (with their audience) and experts are upserted; anything else is removed."""

import numpy as np

from achievements.models import Achievement, AchievementStatus, Expert
from core.text import language_of
from enterprises.models import NeedStatus, TechnologyNeed

from .encoders import model_names
from .index import IndexEntry, Query, get_index
from .models import Embedding, RecordKind
from .text import tokenize, weighted_document


def achievement_attrs(a: Achievement) -> dict:
    prices = a.asking_price_min
    return {
        "field": a.field.code if a.field_id else None,
        "trl": a.trl,
        "modes": sorted(m.code for m in a.transfer_modes.all()),
        "price_min": None if prices is None else float(prices),
        "district": a.institution.district.code if a.institution.district_id else None,
    }


def need_attrs(n: TechnologyNeed) -> dict:
    return {
        "field": n.field.code if n.field_id else None,
        "required_trl": n.required_trl,
        "modes": sorted(m.code for m in n.cooperation_modes.all()),
        "budget_max": None if n.budget_max is None else float(n.budget_max),
        "district": n.region.code if n.region_id else None,
    }


def _vectors(kind: str, ids: list[int]) -> dict[int, dict[str, np.ndarray]]:
    """Stored vectors per record and model (records not embedded under a model lack it)."""
    result: dict[int, dict[str, np.ndarray]] = {pk: {} for pk in ids}
    rows = Embedding.objects.filter(kind=kind, object_id__in=ids, model_name__in=model_names()).values_list(
        "object_id", "model_name", "vector"
    )
    for object_id, model, blob in rows.iterator(chunk_size=2000):
        result[object_id][model] = np.frombuffer(bytes(blob), dtype=np.float32)
    return result


def _achievements(ids):
    return (
        Achievement.objects.filter(pk__in=ids)
        .select_related("field", "institution__district")
        .prefetch_related("transfer_modes")
    )


def _needs(ids):
    return (
        TechnologyNeed.objects.filter(pk__in=ids)
        .select_related("field", "region")
        .prefetch_related("cooperation_modes")
    )


def entries_for(kind: str, ids) -> tuple[list[IndexEntry], list[int]]:
    """(entries to upsert, ids to remove) for these records as they are now."""
    ids = list(ids)
    vectors = _vectors(kind, ids)
    entries, found = [], set()
    if kind == RecordKind.ACHIEVEMENT:
        for a in _achievements(ids):
            if a.status != AchievementStatus.PUBLISHED:
                continue
            found.add(a.pk)
            tokens = weighted_document(a.title, a.keywords, a.abstract)
            entries.append(
                IndexEntry(
                    kind,
                    a.pk,
                    tokens,
                    vectors[a.pk],
                    language_of(a.language, a.title, a.abstract),
                    a.institution_id,
                    "public",
                    achievement_attrs(a),
                )
            )
    elif kind == RecordKind.NEED:
        for n in _needs(ids):
            if n.status != NeedStatus.PUBLISHED:
                continue
            found.add(n.pk)
            tokens = weighted_document(n.title, n.keywords, n.description)
            entries.append(
                IndexEntry(
                    kind,
                    n.pk,
                    tokens,
                    vectors[n.pk],
                    language_of(n.language, n.title, n.description),
                    n.enterprise_id,
                    n.confidentiality,
                    need_attrs(n),
                )
            )
    elif kind == RecordKind.EXPERT:
        for e in Expert.objects.filter(pk__in=ids):
            found.add(e.pk)
            tokens = weighted_document(e.title, (), e.expertise)
            language = language_of(e.language, e.title, e.expertise)
            entries.append(IndexEntry(kind, e.pk, tokens, vectors[e.pk], language, e.institution_id, "public", {}))
    return entries, [pk for pk in ids if pk not in found]


def unindex_unpublished(*, kind: str, ids) -> int:
    """Remove from the index those of these records that are no longer published (or are gone),
    without waiting for any model: an archived record must leave search and matching at once."""
    ids = list(ids)
    published = {
        RecordKind.ACHIEVEMENT: Achievement.objects.filter(status=AchievementStatus.PUBLISHED),
        RecordKind.NEED: TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED),
    }.get(kind)
    if published is None:  # experts have no status: they stay until deleted
        return 0
    kept = set(published.filter(pk__in=ids).values_list("pk", flat=True))
    gone = [pk for pk in ids if pk not in kept]
    if gone:
        get_index().delete(kind, gone)
    return len(gone)


def index_records(*, kind: str, ids) -> int:
    """Bring these records' index entries up to date. Idempotent. Returns entries written."""
    entries, gone = entries_for(kind, ids)
    index = get_index()
    if gone:
        index.delete(kind, gone)
    if entries:
        index.upsert(entries)
    return len(entries)


def need_query(need: TechnologyNeed, vectors: dict[str, np.ndarray] | None = None) -> Query:
    """A need as a query against achievements or experts."""
    if vectors is None:
        vectors = _vectors(RecordKind.NEED, [need.pk])[need.pk]
    tokens = weighted_document(need.title, need.keywords, need.description)
    return Query(tokens, vectors, language_of(need.language, need.title, need.description), need_attrs(need))


def need_queries(needs: list[TechnologyNeed]) -> list[Query]:
    """Needs as queries: from their index entries (tokens, vectors and attributes as indexed,
    no re-tokenising), or from the database for a need not indexed yet."""
    index = get_index()
    entries = {n.pk: index.entry(RecordKind.NEED, n.pk) for n in needs}
    missing = [n.pk for n in needs if entries[n.pk] is None]
    vectors = _vectors(RecordKind.NEED, missing) if missing else {}
    return [
        Query(e.tokens, e.vectors, e.language, e.attrs)
        if (e := entries[n.pk]) is not None
        else need_query(n, vectors[n.pk])
        for n in needs
    ]


def entry_query(entry: IndexEntry) -> Query:
    """A stored record used as a query (an edited achievement against the needs)."""
    return Query(entry.tokens, entry.vectors, entry.language, {})


def text_query(text: str, vectors: dict[str, np.ndarray]) -> Query:
    han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return Query(tokenize(text), vectors, "zh-hans" if han else "en", {})
