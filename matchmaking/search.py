"""Free-text search over published achievements: the same index and fusion as the matches.

A web request never loads a model: when this process has not loaded the encoders yet, the
search runs on words alone and says that meaning-based search is being prepared (the
encoders load in the background, see `warm_up_encoders`)."""

import threading

from achievements.models import AchievementStatus
from achievements.selectors import achievements_visible_to

from .encoders import get_encoders, loaded_encoders
from .indexing import text_query
from .models import RecordKind
from .retrieval import rank, shown_terms

_warming = threading.Lock()
MIN_MEANING_SCORE = 0.05


def warm_up_encoders() -> None:
    """Load the encoders in a background thread (once per process)."""
    if loaded_encoders() is not None or not _warming.acquire(blocking=False):
        return

    def load():
        try:
            get_encoders()
        finally:
            _warming.release()

    threading.Thread(target=load, name="encoder-warm-up", daemon=True).start()


def _query_vectors(query: str) -> dict:
    encoders = loaded_encoders()
    if encoders is None:
        warm_up_encoders()
        return {}
    return {e.name: e.encode_queries([query])[0] for e in encoders}


def search_needs(query: str, *, user, limit: int = 20) -> dict:
    """As `search_achievements`, over the published needs the user may see (institutions look for
    what enterprises need): the index is asked only for the needs of the reader's audience."""
    from enterprises.models import NeedStatus
    from enterprises.selectors import need_audiences_for, needs_visible_to

    vectors = _query_vectors(query)
    pairs = rank(RecordKind.NEED, text_query(query, vectors), top_k=limit, audiences=need_audiences_for(user))
    pairs = [p for p in pairs if p.candidate.bm25 > 0 or p.score >= MIN_MEANING_SCORE]
    needs = (
        needs_visible_to(user)
        .filter(status=NeedStatus.PUBLISHED)
        .select_related("enterprise", "field")
        .in_bulk([p.candidate.id for p in pairs])
    )
    results = [
        {"score": pair.score, "shared_terms": shown_terms(pair), "need": needs[pair.candidate.id]}
        for pair in pairs
        if pair.candidate.id in needs
    ]
    return {"semantic": bool(vectors), "results": results}


def search_achievements(query: str, *, user, limit: int = 20) -> dict:
    """{"semantic": whether meaning was used, "results": [...]} best first, published achievements
    the user may see only (the index can lag behind an archiving until its task has run)."""
    vectors = _query_vectors(query)
    pairs = rank(RecordKind.ACHIEVEMENT, text_query(query, vectors), top_k=limit)
    # Drop only what has neither a word nor much meaning in common with the query: a Chinese
    # achievement found by meaning alone for an English query stays.
    pairs = [p for p in pairs if p.candidate.bm25 > 0 or p.score >= MIN_MEANING_SCORE]
    achievements = (
        achievements_visible_to(user)
        .filter(status=AchievementStatus.PUBLISHED)
        .select_related("institution", "field")
        .in_bulk([p.candidate.id for p in pairs])
    )
    results = []
    for pair in pairs:
        a = achievements.get(pair.candidate.id)
        if a is None:
            continue
        results.append(
            {
                "score": pair.score,
                "components": pair.components,
                "shared_terms": shown_terms(pair),
                "achievement": {
                    "id": a.pk,
                    "title": a.title,
                    "field": a.field.code if a.field_id else None,
                    "trl": a.trl,
                    "institution": a.institution.name,
                    "institution_id": a.institution_id,
                    "abstract": a.abstract[:200],
                },
            }
        )
    return {"semantic": bool(vectors), "results": results}
