"""Keeping the stored index in step with the database, and records as queries.

Called by the embedding task after a record's vectors are stored: published achievements,
published needs (with their audience) and experts are upserted; anything else is removed."""

import uuid

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from achievements.models import Achievement, AchievementStatus, Expert
from core.text import detect_language, language_of
from enterprises.models import NeedStatus, TechnologyNeed

from . import centring
from .encoders import is_multilingual, model_names
from .index import IndexEntry, Query, get_index
from .models import Embedding, LanguageCentres, RecordKind
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
    centres = centring.active()
    entries, found = [], set()
    if kind == RecordKind.ACHIEVEMENT:
        for a in _achievements(ids):
            if a.status != AchievementStatus.PUBLISHED:
                continue
            found.add(a.pk)
            tokens = weighted_document(a.title, a.keywords, a.abstract)
            language = language_of(a.language, a.title, a.abstract)
            entries.append(
                IndexEntry(
                    kind,
                    a.pk,
                    tokens,
                    centres.apply(vectors[a.pk], language),
                    language,
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
            language = language_of(n.language, n.title, n.description)
            entries.append(
                IndexEntry(
                    kind,
                    n.pk,
                    tokens,
                    centres.apply(vectors[n.pk], language),
                    language,
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
            vector = centres.apply(vectors[e.pk], language)
            entries.append(IndexEntry(kind, e.pk, tokens, vector, language, e.institution_id, "public", {}))
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


def need_query(need: TechnologyNeed, vectors: dict[str, np.ndarray] | None = None, centres=None) -> Query:
    """A need as a query against achievements or experts (`centres`: the active ones, read once
    by a caller building many queries)."""
    if vectors is None:
        vectors = _vectors(RecordKind.NEED, [need.pk])[need.pk]
    tokens = weighted_document(need.title, need.keywords, need.description)
    language = language_of(need.language, need.title, need.description)
    centred = (centres or centring.active()).apply(vectors, language)
    return Query(tokens, centred, language, need_attrs(need))


def need_queries(needs: list[TechnologyNeed]) -> list[Query]:
    """Needs as queries: from their index entries (tokens, vectors and attributes as indexed,
    no re-tokenising), or from the database for a need not indexed yet."""
    index = get_index()
    entries = {n.pk: index.entry(RecordKind.NEED, n.pk) for n in needs}
    missing = [n.pk for n in needs if entries[n.pk] is None]
    vectors = _vectors(RecordKind.NEED, missing) if missing else {}
    centres = centring.active() if missing else None
    return [
        Query(e.tokens, e.vectors, e.language, e.attrs)
        if (e := entries[n.pk]) is not None
        else need_query(n, vectors[n.pk], centres)
        for n in needs
    ]


def entry_query(entry: IndexEntry) -> Query:
    """A stored record used as a query (an edited achievement against the needs)."""
    return Query(entry.tokens, entry.vectors, entry.language, {})


def text_query(text: str, vectors: dict[str, np.ndarray]) -> Query:
    """Free text (a search, a draft) as a query; `vectors` as the encoders give them."""
    language = detect_language(text) or "zh-hans"
    return Query(tokenize(text), centring.active().apply(vectors, language), language, {})


# Language centres (centring.py): fitted from the indexed records' passage vectors (achievements and
# expert profiles; needs are embedded as queries, whose mean differs), adopted when they moved, then
# every entry re-written in chunks (tasks.recentre_index) until the version is marked re-indexed.

REFIT_CHUNK = 2000
INDEXED_KINDS = tuple(kind.value for kind in (RecordKind.ACHIEVEMENT, RecordKind.NEED, RecordKind.EXPERT))
FITTED_KINDS = (RecordKind.ACHIEVEMENT, RecordKind.EXPERT)


def _indexed(kind: str):
    """The records of a kind the index holds, with the fields their language is read from."""
    if kind == RecordKind.ACHIEVEMENT:
        return Achievement.objects.filter(status=AchievementStatus.PUBLISHED), ("abstract",)
    if kind == RecordKind.NEED:
        return TechnologyNeed.objects.filter(status=NeedStatus.PUBLISHED), ("description",)
    return Expert.objects.all(), ("expertise",)


def _centred_models() -> list[str]:
    return [name for name in model_names() if is_multilingual(name)]


def embedded_count() -> int:
    """Indexed passages embedded under the first multilingual model: what the fit reads, and
    what a refit is due by."""
    models = _centred_models()
    if not models:
        return 0
    return sum(
        Embedding.objects.filter(kind=kind, model_name=models[0], object_id__in=_indexed(kind)[0].values("pk")).count()
        for kind in FITTED_KINDS
    )


def fit_centres() -> centring.Centres:
    """Language centres of every indexed passage, read in chunks (vectors as embedded, raw)."""
    fit = centring.Fit()
    models = _centred_models()
    for kind in FITTED_KINDS:
        records, text_fields = _indexed(kind)
        rows = records.order_by("pk").values_list("pk", "language", "title", *text_fields)
        chunk: dict[int, str] = {}
        for pk, declared, *texts in rows.iterator(chunk_size=REFIT_CHUNK):
            chunk[pk] = language_of(declared, *texts)
            if len(chunk) == REFIT_CHUNK:
                _add_chunk(fit, kind, chunk, models)
                chunk = {}
        _add_chunk(fit, kind, chunk, models)
    return fit.centres(_new_version())


def _new_version() -> str:
    return f"centres-{uuid.uuid4().hex[:12]}"


def _add_chunk(fit: centring.Fit, kind: str, languages: dict[int, str], models: list[str]) -> None:
    if not languages:
        return
    vectors = _vectors(kind, list(languages))
    for model in models:
        held = [pk for pk in languages if model in vectors[pk]]
        fit.add_rows(model, [vectors[pk][model] for pk in held], [languages[pk] for pk in held])


def refit_centres() -> bool:
    """Fit the language centres again (none when MATCHING_CENTRE_LANGUAGES is off) and adopt
    them when they moved, appeared or went away. Returns whether a new version was adopted: its
    entries are then re-written by `recentre_step` until it is marked re-indexed."""
    counted = embedded_count()
    fitted = fit_centres() if settings.MATCHING_CENTRE_LANGUAGES else centring.NONE
    try:
        return _adopt(fitted, counted)
    except IntegrityError:  # another worker adopted a fit at the same moment: its fit stands
        return False


def _adopt(fitted: centring.Centres, counted: int) -> bool:
    with transaction.atomic():
        current = LanguageCentres.objects.select_for_update().filter(is_active=True).first()
        old = centring.Centres.from_data(current.version, current.data) if current else centring.NONE
        if not fitted.centred and not old.centred:
            return False  # nothing was centred and nothing is: the index holds raw vectors already
        if fitted.centred and old.centred and not fitted.moved_from(old):
            current.records = counted  # the fit stands for the corpus as it is now
            current.save(update_fields=["records"])
            return False
        LanguageCentres.objects.filter(is_active=True).update(is_active=False)
        version = fitted.version if fitted.centred else _new_version()
        # an empty version means "not centred": the entries must be re-written raw all the same
        LanguageCentres.objects.create(version=version, data=fitted.as_data(), records=counted, is_active=True)
    return True


def pending_recentring() -> str | None:
    """The active version while its entries are still being re-written (or a pass died)."""
    return LanguageCentres.objects.filter(is_active=True, reindexed=False).values_list("version", flat=True).first()


def recentre_step(version: str, kind: str = INDEXED_KINDS[0], after: int = 0) -> tuple[str, int] | str:
    """Re-write the next chunk of entries under `version`: the (kind, last id) to go on from,
    "done" once every kind is written (the version is then marked re-indexed), or "superseded"
    when another version became active meanwhile. Idempotent, so a pass that died is restarted."""
    if not LanguageCentres.objects.filter(version=version, is_active=True).exists():
        return "superseded"
    records, _ = _indexed(kind)
    ids = list(records.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:REFIT_CHUNK])
    if ids:
        index_records(kind=kind, ids=ids)
        return kind, ids[-1]
    position = INDEXED_KINDS.index(kind)
    if position + 1 < len(INDEXED_KINDS):
        return INDEXED_KINDS[position + 1], 0
    LanguageCentres.objects.filter(version=version).update(reindexed=True)
    return "done"


def recentre_all(version: str) -> None:
    """Every chunk of `recentre_step` in this process (management commands, tests)."""
    step: tuple[str, int] | str = (INDEXED_KINDS[0], 0)
    while isinstance(step, tuple):
        step = recentre_step(version, *step)


def refit_due() -> bool:
    """Whether the indexed passages doubled since the active fit (or reached the minimum)."""
    if not settings.MATCHING_CENTRE_LANGUAGES or not _centred_models():
        return False
    counted = embedded_count()
    current = LanguageCentres.objects.filter(is_active=True).values_list("records", flat=True).first()
    if current is None:
        return counted >= centring.MIN_RECORDS
    return counted >= max(current, centring.MIN_RECORDS / centring.GROWTH) * centring.GROWTH
