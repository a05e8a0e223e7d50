"""The need analysis (需求解构): one function for the draft form, the API, stored analyses and
the evaluation (which runs `terms_and_fields`, the part it measures, exactly as here)."""

from core.text import detect_language

from ..fit import verdict as coverage
from ..text import tokenize, weighted_document
from . import hints as quality
from . import points as grouping
from .learned import Learned, current
from .terms import key_terms

TERMS_SHOWN = 8
MIN_PREVIEW_SCORE = 0.01


def _without_markup(text: str) -> str:
    """The text of a draft without HTML tags and entities (<p>, &nbsp;, ...)."""
    import html

    from django.utils.html import strip_tags

    if "<" not in text and "&" not in text:
        return text
    return html.unescape(strip_tags(text)).replace("\xa0", " ")


def terms_and_fields(
    title: str, text: str, vectors: dict, learned: Learned, *, terms: int = TERMS_SHOWN, fields: int = 3
):
    """(key terms [{"term", "score"}], field suggestions [(code, confidence)])."""
    found = key_terms(title, text, learned.terms, learned.stats, limit=terms)
    suggested = learned.fields.suggest(tokenize(f"{title}\n{text}"), vectors, limit=fields)
    return found, suggested


def _query(title: str, text: str, vectors: dict, language: str, keywords=(), centres=None):
    """The draft (or one of its points) as a query; `vectors` as the encoders give them."""
    from .. import centring
    from ..index import Query

    centred = (centres or centring.active()).apply(vectors, language)
    return Query(weighted_document(title, list(keywords), text), centred, language, {})


def analyse(
    *,
    title: str,
    description: str,
    user,
    language: str | None = None,
    budget_given: bool = False,
    deadline_given: bool = False,
    exclude_need: int | None = None,
    encoders=None,
    learned: Learned | None = None,
    with_contracts: bool = True,
) -> dict:
    """The full analysis of a need's text for `user` (every record shown passes the visibility
    rules). `encoders`: None uses those this process has loaded (a web request never loads one:
    without them, the analysis runs on words and says so)."""
    from ..encoders import loaded_encoders
    from ..search import warm_up_encoders

    learned = learned or current()
    # a need pasted from a web page or a document: its markup is not part of the need
    title, description = _without_markup(title), _without_markup(description)
    # the text says which language it is in; a declared language decides only text that does not
    language = detect_language(f"{title}\n{description}") or language or "zh-hans"
    if encoders is None:
        encoders = loaded_encoders()
        if encoders is None:
            warm_up_encoders()
    encoders = encoders or []
    full = f"{title}\n{description}"
    vectors = {e.name: e.encode_queries([full])[0] for e in encoders}
    found_terms, fields = terms_and_fields(title, description, vectors, learned)
    keywords = [t["term"] for t in found_terms[:5]]
    query = _query(title, description, vectors, language, keywords)
    preview = _preview(query, user)
    return {
        "language": language,
        "semantic": bool(vectors),
        "model_version": learned.version,
        "terms": found_terms,
        "field_suggestions": _field_rows(fields),
        "suggestions": _suggestions(query, user, exclude_need, with_contracts),
        "points": _points(description, found_terms, encoders, language, user),
        "hints": quality.need_hints(description=description, budget_given=budget_given, deadline_given=deadline_given),
        "preview": preview,
    }


def localise(result: dict, user) -> dict:
    """A stored analysis as `user` reads it now: names of fields and modes and the hints' messages
    in the reader's language (a worker stored them in its own), and only achievements that are
    still published and visible to the reader."""
    from achievements.models import AchievementStatus
    from achievements.selectors import achievements_visible_to
    from core.models import TechnicalField, TransferMode

    result = dict(result)
    shown = [a["id"] for a in result.get("preview", {}).get("achievements", [])]
    shown += [a["id"] for p in result.get("points", []) for a in p.get("achievements", [])]
    visible = set(
        achievements_visible_to(user)
        .filter(status=AchievementStatus.PUBLISHED, pk__in=shown)
        .values_list("pk", flat=True)
    )
    result["preview"] = {
        **result.get("preview", {}),
        "achievements": [a for a in result.get("preview", {}).get("achievements", []) if a["id"] in visible],
    }
    from achievements.models import Expert

    named_experts = [e["id"] for e in result["preview"].get("experts", [])]
    named_experts += [e["id"] for p in result.get("points", []) for e in p.get("experts", [])]
    existing = set(Expert.objects.filter(pk__in=named_experts).values_list("pk", flat=True))
    result["preview"]["experts"] = [e for e in result["preview"].get("experts", []) if e["id"] in existing]
    points = []
    for point in result.get("points", []):
        kept = [a for a in point.get("achievements", []) if a["id"] in visible]
        experts = [e for e in point.get("experts", []) if e["id"] in existing]  # a deleted expert is not named
        point = {**point, "achievements": kept, "experts": experts}
        if point.get("coverage") != "unknown":  # the verdict follows what is still there to introduce
            point["best_score"] = kept[0]["score"] if kept else None
            point["coverage"] = coverage(point["best_score"])
            point["uncovered_advice"] = point["coverage"] == "none"
        points.append(point)
    result["points"] = points
    fields = TechnicalField.objects.in_bulk([f["code"] for f in result.get("field_suggestions", [])], field_name="code")
    result["field_suggestions"] = [
        {**f, "name": fields[f["code"]].name} for f in result.get("field_suggestions", []) if f["code"] in fields
    ]
    modes = (result.get("suggestions") or {}).get("cooperation_modes")
    if modes:
        named = TransferMode.objects.in_bulk([m["code"] for m in modes["values"]], field_name="code")
        values = [{**m, "name": named[m["code"]].name} for m in modes["values"] if m["code"] in named]
        result["suggestions"] = {**result["suggestions"], "cooperation_modes": {**modes, "values": values}}
    result["hints"] = [
        {**h, "message": quality.message(h["code"], h.get("words", ()))} for h in result.get("hints", [])
    ]
    return result


def analyse_draft(data: dict, *, user, exclude_need: int | None = None) -> dict:
    """`analyse` on a draft checked by `AnalyseInputSerializer` (the API's and the form's input)."""
    return analyse(
        title=data.get("title", ""),
        description=data["description"],
        user=user,
        language=data.get("language"),
        budget_given=data.get("budget_min") is not None or data.get("budget_max") is not None,
        deadline_given=data.get("deadline") is not None,
        exclude_need=exclude_need,
    )


def _field_rows(fields) -> list[dict]:
    from core.models import TechnicalField

    named = TechnicalField.objects.in_bulk([code for code, _ in fields], field_name="code")
    return [
        {"code": code, "name": named[code].name, "confidence": confidence}
        for code, confidence in fields
        if code in named
    ]


def _visible_achievements(ids, user) -> dict:
    from achievements.models import AchievementStatus
    from achievements.selectors import achievements_visible_to

    return (
        achievements_visible_to(user)
        .filter(status=AchievementStatus.PUBLISHED)
        .select_related("institution")
        .in_bulk(list(ids))
    )


def _experts_by_id(ids) -> dict:
    from achievements.models import Expert

    return Expert.objects.select_related("institution").in_bulk(list(ids))


def _achievements(pairs, user, limit, visible=None):
    from ..retrieval import shown_terms

    if visible is None:
        visible = _visible_achievements([p.candidate.id for p in pairs], user)
    rows = []
    for pair in pairs:
        a = visible.get(pair.candidate.id)
        if a is not None:
            rows.append(
                {
                    "id": a.pk,
                    "title": a.title,
                    "institution": a.institution.name,
                    "trl": a.trl,
                    "score": pair.score,
                    "shared_terms": shown_terms(pair, limit=5),
                }
            )
        if len(rows) == limit:
            break
    return rows


def _experts(pairs, limit, found=None):
    if found is None:
        found = _experts_by_id([p.candidate.id for p in pairs])
    rows = []
    for pair in pairs:
        e = found.get(pair.candidate.id)
        if e is not None:
            rows.append(
                {"id": e.pk, "name": e.name, "title": e.title, "institution": e.institution.name, "score": pair.score}
            )
        if len(rows) == limit:
            break
    return rows


def _preview(query, user) -> dict:
    from ..models import RecordKind
    from ..retrieval import rank

    # what matching would show: pairs with some relevance (a calibrated score of 0.00 is noise)
    achievements = [p for p in rank(RecordKind.ACHIEVEMENT, query, top_k=15) if p.score >= MIN_PREVIEW_SCORE]
    experts = [p for p in rank(RecordKind.EXPERT, query, top_k=6) if p.score >= MIN_PREVIEW_SCORE]
    return {"achievements": _achievements(achievements, user, 5), "experts": _experts(experts, 3)}


def _suggestions(query, user, exclude_need, with_contracts: bool = True) -> dict:
    from enterprises.models import NeedStatus
    from enterprises.selectors import need_audiences_for, needs_visible_to
    from outcomes.permissions import contracts_visible_to

    from ..models import RecordKind
    from ..retrieval import rank
    from . import suggestions

    pairs = rank(
        RecordKind.NEED,
        query,
        top_k=suggestions.SIMILAR_NEEDS,
        audiences=need_audiences_for(user),
        exclude=[exclude_need] if exclude_need else (),
    )
    ids = [p.candidate.id for p in pairs if p.score >= suggestions.MIN_SIMILARITY]
    needs = (
        needs_visible_to(user)
        .filter(status=NeedStatus.PUBLISHED, pk__in=ids)
        .prefetch_related("cooperation_modes")
        .in_bulk(ids)
    )
    similar = [needs[i] for i in ids if i in needs]
    amounts = (
        [float(a) for a in contracts_visible_to(user).filter(match__need__in=similar).values_list("amount", flat=True)]
        if with_contracts
        else []
    )
    return suggestions.suggest(similar, amounts)


def _points(description: str, found_terms, encoders, language, user) -> list[dict]:
    from ..models import RecordKind
    from ..retrieval import fusion_model, rank

    shown_terms = [t["term"].lower() for t in found_terms]
    # the enterprise's introduction, and budget or timing with no technical term, are no sub-problem:
    # left out before the sentences are grouped, so that one cannot take a technical sentence with it
    parts = [
        part
        for part in grouping.sentences(description)
        if not quality.is_framing(part)
        and not (quality.is_logistics(part) and not any(term in part.lower() for term in shown_terms))
    ]
    if not parts:
        return []
    # English-only models score English pairs only: Chinese sentences are not encoded with them
    used = [e for e in encoders if e.multilingual or language == "en"]
    sentence_vectors = {e.name: e.encode_queries(parts) for e in used}
    primary = next((e for e in used if e.multilingual), used[0] if used else None)
    groups = grouping.group(parts, sentence_vectors[primary.name] if primary else None)
    joiner = "" if language == "zh-hans" else " "
    from .. import centring

    fusion, centres = fusion_model(), centring.active()  # read once for every point
    ranked = []
    for members in groups[: grouping.MAX_POINTS]:
        text = joiner.join(parts[i] for i in members)
        vectors = {}
        if sentence_vectors:
            for name, matrix in sentence_vectors.items():
                mean = matrix[members].mean(axis=0)
                vectors[name] = mean / max(float((mean @ mean) ** 0.5), 1e-12)
        query = _query("", text, vectors, language, centres=centres)
        ranked.append(
            (
                text,
                vectors,
                rank(RecordKind.ACHIEVEMENT, query, top_k=10, model=fusion),
                rank(RecordKind.EXPERT, query, top_k=4, model=fusion),
            )
        )
    # one read of the achievements and one of the experts for every point
    visible = _visible_achievements({p.candidate.id for _, _, pairs, _ in ranked for p in pairs}, user)
    experts_found = _experts_by_id({p.candidate.id for _, _, _, pairs in ranked for p in pairs})
    result = []
    for text, vectors, achievement_pairs, expert_pairs in ranked:
        lowered = text.lower()
        achievements = _achievements(achievement_pairs, user, 3, visible)
        experts = _experts(expert_pairs, 2, experts_found)
        best = achievements[0]["score"] if achievements else None
        # by words alone the scores are not the calibrated ones: no verdict rather than a wrong one
        verdict = coverage(best) if vectors else "unknown"
        result.append(
            {
                "text": text,
                "terms": [t["term"] for t in found_terms if t["term"].lower() in lowered][:4],
                "coverage": verdict,
                "best_score": best,
                "achievements": achievements,
                "experts": experts,
                "uncovered_advice": verdict == "none",
            }
        )
    return result
