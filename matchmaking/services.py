"""Writes of the matching engine: stored matches, expert suggestions, broker pipeline."""

from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from achievements.models import Achievement, AchievementStatus
from core.api.errors import Conflict
from core.notify import ngettext_noop
from enterprises.models import Confidentiality, NeedStatus, TechnologyNeed
from notifications.kinds import Kind
from notifications.services import notify

from .encoders import specialists
from .index import get_index
from .indexing import entry_query, need_queries
from .models import (
    OPEN_STAGES,
    DeclineReason,
    ExpertSuggestion,
    Match,
    MatchEvent,
    MatchNote,
    NoteKind,
    RecordKind,
    Stage,
)
from .retrieval import fusion_model, other_language, rank, score_entry_for_queries, shown_terms
from .selectors import PARTY_NOTES, has_conflict
from .structured import reasons


def top_k() -> int:
    return settings.MATCH_TOP_K


def algorithm_version(model) -> str:
    """The engine, fusion, language centres and models a stored match was ranked with (a
    re-centring changes it, so `rematch_all` knows what is stale)."""
    from . import centring
    from .encoders import model_names

    models = "+".join(name.rstrip("/").rsplit("/", 1)[-1] for name in model_names())
    centres = centring.active()
    tag = centres.version.rsplit("-", 1)[-1][:8] if centres.centred else "raw"
    return f"{model.engine}/{model.version}/{tag}/{models}"[:60]


def published_achievements():
    return Achievement.objects.filter(status=AchievementStatus.PUBLISHED).order_by("pk")


TRANSITIONS = {
    Stage.SUGGESTED: {Stage.SHORTLISTED, Stage.INTRODUCED, Stage.DECLINED, Stage.WITHDRAWN},
    Stage.SHORTLISTED: {Stage.INTRODUCED, Stage.DECLINED, Stage.WITHDRAWN},
    Stage.INTRODUCED: {Stage.MEETING, Stage.NEGOTIATING, Stage.DECLINED, Stage.WITHDRAWN},
    Stage.MEETING: {Stage.NEGOTIATING, Stage.DECLINED, Stage.WITHDRAWN},
    Stage.NEGOTIATING: {Stage.CONTRACT_SIGNED, Stage.DECLINED, Stage.WITHDRAWN},
    Stage.CONTRACT_SIGNED: set(),
    Stage.DECLINED: set(),
    Stage.WITHDRAWN: set(),
}


def _needs_for_matching(need_ids):
    return list(
        TechnologyNeed.objects.filter(pk__in=list(need_ids), status=NeedStatus.PUBLISHED)
        .select_related("field", "region", "enterprise")
        .prefetch_related("cooperation_modes")
        .order_by("pk")
    )


class BrokerPool:
    """Assigns new matches to brokers: fewest open matches first, never a broker whose
    agency belongs to the achievement's institution; a need stays with one broker when possible."""

    def __init__(self):
        self.brokers = list(
            User.objects.filter(role=Role.BROKER, is_active=True)
            .select_related("agency")
            .annotate(open=Count("matches", filter=Q(matches__stage__in=OPEN_STAGES)))
            .order_by("pk")
        )
        self.load = Counter({b.pk: b.open for b in self.brokers})

    def conflicted(self, broker, achievement: Achievement) -> bool:
        return has_conflict(broker, achievement)  # the one rule, as for working a match

    def choose(self, achievement: Achievement, preferred_id=None):
        candidates = [b for b in self.brokers if not self.conflicted(b, achievement)]
        if not candidates:
            return None
        preferred = next((b for b in candidates if b.pk == preferred_id), None)
        broker = preferred or min(candidates, key=lambda b: (self.load[b.pk], b.pk))
        self.load[broker.pk] += 1
        return broker


def explanation_for(query, pair) -> dict:
    attrs = pair.candidate.attrs
    return {
        "shared_terms": shown_terms(pair),
        "field_match": bool(query.attrs.get("field")) and query.attrs.get("field") == attrs.get("field"),
        "reasons": reasons(query.attrs, attrs) if query.attrs else [],
    }


def _excluded(existing: dict) -> set[int]:
    return {a for a, m in existing.items() if m.stage in (Stage.DECLINED, Stage.WITHDRAWN)}


def rematch_needs(need_ids) -> int:
    """Re-rank the given published needs and store their top K; worked matches keep their
    stage, declined pairs are never suggested again. Returns the number of needs ranked."""
    needs = _needs_for_matching(need_ids)
    if not needs:
        return 0
    model = fusion_model()
    version = algorithm_version(model)
    existing: dict[int, dict[int, Match]] = {}
    for match in Match.objects.filter(need__in=needs):
        existing.setdefault(match.need_id, {})[match.achievement_id] = match
    ranked = []
    for need, query in zip(needs, need_queries(needs), strict=True):
        current = existing.get(need.pk, {})
        pairs = rank(RecordKind.ACHIEVEMENT, query, top_k=top_k(), exclude=_excluded(current), model=model)
        ranked.append((need, query, pairs, current))
    achievements = Achievement.objects.in_bulk({p.candidate.id for _, _, pairs, _ in ranked for p in pairs})
    pool = BrokerPool()
    for need, query, pairs, current in ranked:
        pairs = [p for p in pairs if p.candidate.id in achievements]  # deleted since it was indexed
        _store_need_matches(need, query, pairs, current, version, achievements, pool)
    return len(needs)


@transaction.atomic
def _store_need_matches(need, query, pairs, current, version, achievements, pool) -> None:
    now = timezone.now()  # bulk_update does not touch auto_now fields
    kept = set()
    usual_broker = Counter(m.broker_id for m in current.values() if m.broker_id).most_common(1)
    preferred = usual_broker[0][0] if usual_broker else None
    new_rows, changed = [], []
    for rank_number, pair in enumerate(pairs, start=1):
        achievement_id = pair.candidate.id
        kept.add(achievement_id)
        values = {
            "rank": rank_number,
            "score": min(max(pair.score, 0.0), 1.0),
            "components": pair.components,
            "explanation": explanation_for(query, pair),
            "algorithm_version": version,
        }
        match = current.get(achievement_id)
        if match is None:
            broker = pool.choose(achievements[achievement_id], preferred)
            preferred = preferred or (broker.pk if broker else None)
            new_rows.append(Match(need=need, achievement_id=achievement_id, broker=broker, **values))
        else:
            for name, value in values.items():
                setattr(match, name, value)
            match.updated_at = now
            changed.append(match)
    Match.objects.bulk_create(new_rows)
    if new_rows:
        _tell_new_suggestions(need, len(new_rows))
    Match.objects.bulk_update(
        changed, ["rank", "score", "components", "explanation", "algorithm_version", "updated_at"]
    )
    stale = [m.pk for a, m in current.items() if a not in kept]
    # Suggestions that dropped out of the top K go; worked matches stay, without a rank, and so do
    # suggestions a party asked about or expressed interest in (the broker has yet to answer).
    asked = Match.objects.filter(pk__in=stale).filter(Q(notes__kind__in=PARTY_NOTES) | Q(interests__isnull=False))
    Match.objects.filter(pk__in=stale, stage=Stage.SUGGESTED).exclude(
        pk__in=list(asked.values_list("pk", flat=True))
    ).delete()
    Match.objects.filter(pk__in=stale).update(rank=None)  # what is left of them: worked or asked about


def _tell_new_suggestions(need, count: int) -> None:
    """The need's enterprise hears of new suggestions once until it looks at them."""
    notify(
        need.enterprise.members.filter(is_active=True),
        kind=Kind.NEW_MATCHES,
        subject=gettext_noop("New suggestions for your need “%(need)s”"),
        body=ngettext_noop(
            "The matching found %(count)s new achievement that may answer it.",
            "The matching found %(count)s new achievements that may answer it.",
        ),
        url=reverse("enterprise-need-suggestions", args=[need.pk]),
        once_unread=True,
        need=need.title,
        count=count,
    )


def _reverse_other_language_k() -> int:
    return min(settings.MATCHING_OTHER_LANGUAGE_CANDIDATES, settings.MATCHING_REVERSE_CANDIDATES)


def needs_affected_by_achievements(achievement_ids) -> list[int]:
    """Needs whose top K may change because these achievements changed: those already matched
    to them, and those for which one of them now scores above the K-th match. The second kind
    is found through the index (each achievement as a query against the needs), then each
    candidate pair is scored by the same fusion as the matches: no need outside the
    achievement's neighbourhood is scored at all."""
    ids = set(achievement_ids)
    affected = set(Match.objects.filter(achievement_id__in=ids).values_list("need_id", flat=True))
    index = get_index()
    model = fusion_model()
    entries = [e for e in (index.entry(RecordKind.ACHIEVEMENT, i) for i in ids) if e is not None]
    found: dict[int, set[int]] = {}  # need -> the changed achievements that found it
    for entry in entries:  # an unpublished one is not indexed; its matches are in `affected`
        query = entry_query(entry)
        for candidate in index.candidates(
            RecordKind.NEED,
            query,
            dense_k=settings.MATCHING_REVERSE_CANDIDATES,
            lexical_k=settings.MATCHING_REVERSE_CANDIDATES,
            **other_language(query, specialists(), _reverse_other_language_k()),
        ):
            found.setdefault(candidate.id, set()).add(entry.id)
    for need_id in affected:
        found.pop(need_id, None)
    if not found:
        return sorted(affected)
    needs = _needs_for_matching(found)
    kth = dict(Match.objects.filter(need__in=needs, rank=top_k()).values_list("need_id", "score"))
    full = set(
        Match.objects.filter(need__in=needs, rank__isnull=False)
        .values("need_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=top_k())
        .values_list("need_id", flat=True)
    )
    queries = dict(zip((n.pk for n in needs), need_queries(needs), strict=True))
    for entry in entries:
        batch = [n.pk for n in needs if entry.id in found[n.pk]]
        pairs = score_entry_for_queries(
            RecordKind.ACHIEVEMENT, entry, [queries[pk] for pk in batch], index=index, model=model
        )
        for need_id, pair in zip(batch, pairs, strict=True):
            # fewer than K matches: any new achievement may enter
            if need_id not in full or pair.score > kth.get(need_id, 0.0):
                affected.add(need_id)
    return sorted(affected)


def rank_needs_for_achievement(
    achievement: Achievement, needs, *, limit: int = 20, audiences: Sequence[str] | None = None
) -> list[dict] | None:
    """The needs (from `needs`, already filtered to what the reader may see) that this
    published achievement fits best, scored by the same fusion as the matches (each need as
    the query). `audiences` pre-filters the index's candidates (`need_audiences_for`). None
    while the achievement is not in the index yet (being prepared)."""
    index = get_index()
    entry = index.entry(RecordKind.ACHIEVEMENT, achievement.pk)
    if entry is None:
        return None
    query = entry_query(entry)
    found = index.candidates(
        RecordKind.NEED,
        query,
        dense_k=settings.MATCHING_REVERSE_CANDIDATES,
        lexical_k=settings.MATCHING_REVERSE_CANDIDATES,
        audiences=audiences,
        **other_language(query, specialists(), _reverse_other_language_k()),
    )
    visible = _needs_for_matching(needs.filter(pk__in=[c.id for c in found]).values_list("pk", flat=True))
    queries = need_queries(visible)
    pairs = score_entry_for_queries(RecordKind.ACHIEVEMENT, entry, queries, index=index)
    results = [
        {
            "need": need,
            "score": pair.score,
            "components": pair.components,
            "explanation": explanation_for(query, pair),
        }
        for need, query, pair in zip(visible, queries, pairs, strict=True)
    ]
    results.sort(key=lambda r: (-r["score"], r["need"].pk))
    return results[:limit]


def score_pair(need, achievement) -> tuple[float, dict, dict]:
    """(score, components, explanation) of one pair by the same fusion as the matches; zeros
    while the achievement is not in the index yet or the need is not published."""
    index = get_index()
    entry = index.entry(RecordKind.ACHIEVEMENT, achievement.pk)
    needs = _needs_for_matching([need.pk])
    if entry is None or not needs:
        return 0.0, {}, {}
    queries = need_queries(needs)
    pair = score_entry_for_queries(RecordKind.ACHIEVEMENT, entry, queries, index=index)[0]
    return min(max(pair.score, 0.0), 1.0), pair.components, explanation_for(queries[0], pair)


def drop_unpublished_suggestions() -> int:
    deleted, _ = (
        Match.objects.filter(stage=Stage.SUGGESTED).exclude(achievement__status=AchievementStatus.PUBLISHED).delete()
    )
    return deleted


# Experts ------------------------------------------------------------------------------------


def suggest_experts(need_ids, limit: int = 10) -> int:
    """A researcher's score: their profile (ranked by the same index and fusion as the
    matches), plus evidence from their institution's achievements that they are named on."""
    needs = _needs_for_matching(need_ids)
    if not needs:
        return 0
    model = fusion_model()
    version = algorithm_version(model)
    evidence = _expert_evidence(needs)
    for need, query in zip(needs, need_queries(needs), strict=True):
        query.attrs = {}  # profiles carry no structured attributes
        pairs = {p.candidate.id: p for p in rank(RecordKind.EXPERT, query, top_k=limit * 3, model=model)}
        scores = {expert_id: 0.7 * p.score for expert_id, p in pairs.items()}
        for expert_id, score in evidence.get(need.pk, {}).items():
            if expert_id in scores:
                scores[expert_id] += 0.3 * min(score, 1.0)
        best = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
        with transaction.atomic():
            ExpertSuggestion.objects.filter(need=need).delete()
            ExpertSuggestion.objects.bulk_create(
                [
                    ExpertSuggestion(
                        need=need,
                        expert_id=expert_id,
                        rank=rank_number,
                        score=round(min(score, 1.0), 4),
                        components={
                            "profile": pairs[expert_id].score,
                            "achievements": round(evidence.get(need.pk, {}).get(expert_id, 0.0), 4),
                        },
                        explanation={"shared_terms": shown_terms(pairs[expert_id])},
                        algorithm_version=version,
                    )
                    for rank_number, (expert_id, score) in enumerate(best, start=1)
                ]
            )
    return len(needs)


def _expert_evidence(needs) -> dict[int, dict[int, float]]:
    """For each need, each expert's best-matching achievement score (from stored matches)."""
    evidence: dict[int, dict[int, float]] = {}
    rows = Match.objects.filter(need__in=needs).values_list("need_id", "achievement__experts", "score")
    for need_id, expert_id, score in rows:
        if expert_id is not None:
            per_need = evidence.setdefault(need_id, {})
            per_need[expert_id] = max(per_need.get(expert_id, 0.0), score)
    return evidence


# The broker pipeline ---------------------------------------------------------------------------


@transaction.atomic
def match_transition(
    *,
    match: Match,
    actor,
    to_stage: str,
    reason: str = "",
    note: str = "",
    expected_version: int | None = None,
    check_actor: bool = True,
) -> Match:
    """Move a match along the pipeline. Only someone who may work this match (its own broker,
    without a conflict of interest, or an admin) moves it; `check_actor=False` is for callers
    that have already decided (recording its contract, system jobs)."""
    from .selectors import may_work_match

    locked = (
        Match.objects.select_for_update(of=("self",)).select_related("achievement", "broker__agency").get(pk=match.pk)
    )
    if check_actor and actor is not None and not may_work_match(actor, locked):
        raise PermissionDenied(_("Only the broker this match is assigned to can work it."))
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _("Someone else changed this match meanwhile (now version %(version)s): reload and try again.")
            % {"version": locked.version}
        )
    if to_stage not in Stage.values:
        raise ValidationError({"stage": _("Unknown stage: %(stage)s.") % {"stage": to_stage}})
    if len(note or "") > NOTE_LIMIT:
        raise ValidationError({"note": _("A note may be at most 2,000 characters.")})
    if to_stage not in TRANSITIONS[locked.stage]:
        raise ValidationError(
            {
                "stage": _("A match cannot go from %(from)s to %(to)s.")
                % {"from": Stage(locked.stage).label, "to": Stage(to_stage).label}
            }
        )
    if to_stage == Stage.CONTRACT_SIGNED:
        from outcomes.models import TechnologyContract

        if not TechnologyContract.objects.filter(match=locked).exists():
            message = _("Record the signed contract for this match; that moves it to this stage.")
            raise ValidationError({"stage": message})
    if to_stage == Stage.DECLINED:
        if reason not in DeclineReason.values:
            raise ValidationError({"reason": _("Choose a reason for declining.")})
        if reason == DeclineReason.OTHER and not note.strip():
            raise ValidationError({"note": _("Say why, when the reason is “other”.")})
        locked.decline_reason, locked.decline_note = reason, note.strip()
    MatchEvent.objects.create(
        match=locked,
        actor=actor if getattr(actor, "pk", None) else None,
        from_stage=locked.stage,
        to_stage=to_stage,
        reason=reason,
        note=note.strip(),
    )
    locked.stage = to_stage
    locked.version += 1
    locked.save(update_fields=["stage", "decline_reason", "decline_note", "version", "updated_at"])
    if to_stage == Stage.INTRODUCED:
        _tell_introduction(locked)
    elif to_stage in STAGE_NEWS:
        _tell_stage(locked, to_stage)
    return locked


BULK_STAGES = (Stage.SHORTLISTED, Stage.DECLINED)
NOTE_LIMIT = 2000  # a stage change's note, as the API's serializer allows
BULK_LIMIT = 200


@transaction.atomic
def match_bulk_transition(*, actor, match_ids, to_stage: str, reason: str = "", note: str = "") -> int:
    """Shortlist or decline many matches at once: every one moves, or none (the first refusal
    says which match and why)."""
    from .selectors import match_list, may_work_match

    if to_stage not in BULK_STAGES:
        raise ValidationError({"stage": _("Choose what to do with the ticked matches: shortlist or decline.")})
    ids = sorted(set(match_ids))
    if not ids:
        raise ValidationError({"match": _("Tick at least one match.")})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"match": _("At most %(limit)d matches at once.") % {"limit": BULK_LIMIT}})
    matches = list(match_list(user=actor).filter(pk__in=ids).select_related("achievement", "broker__agency"))
    matches.sort(key=lambda m: ids.index(m.pk))
    if len(matches) != len(ids) or not all(may_work_match(actor, m) for m in matches):
        raise PermissionDenied(_("Only the broker this match is assigned to can work it."))
    for match in matches:
        try:
            match_transition(match=match, actor=actor, to_stage=to_stage, reason=reason, note=note)
        except ValidationError as error:
            raise ValidationError(
                _("“%(achievement)s” for “%(need)s”: %(error)s Nothing was changed.")
                % {"achievement": match.achievement.title, "need": match.need.title, "error": " ".join(error.messages)}
            ) from error
    return len(matches)


def _need_people(match: Match):
    return list(match.need.enterprise.members.filter(is_active=True))


def _achievement_people(match: Match):
    return list(match.achievement.institution.members.filter(is_active=True))


# what the parties are told when their match moves on after the introduction
STAGE_NEWS = {
    Stage.MEETING: gettext_noop("A meeting is arranged about “%(record)s”"),
    Stage.NEGOTIATING: gettext_noop("Negotiation has begun about “%(record)s”"),
    Stage.CONTRACT_SIGNED: gettext_noop("A contract is recorded about “%(record)s”"),
}


def _tell_stage(match: Match, stage: str) -> None:
    """Each side hears it about its own record, so nothing the other side keeps to brokers is named."""
    subject = STAGE_NEWS[stage]
    need_url = reverse("enterprise-need-suggestions", args=[match.need_id])
    achievement_url = reverse("web-achievement", args=[match.achievement_id])
    if stage == Stage.CONTRACT_SIGNED:  # both parties' contract, where its licence steps are
        from outcomes.models import TechnologyContract

        contract_id = TechnologyContract.objects.filter(match=match).values_list("pk", flat=True).first()
        if contract_id:
            need_url = achievement_url = f"{reverse('web-contracts')}?contract={contract_id}"
    notify(_need_people(match), kind=Kind.MATCH_STAGE, subject=subject, url=need_url, record=match.need.title)
    notify(
        _achievement_people(match),
        kind=Kind.MATCH_STAGE,
        subject=subject,
        url=achievement_url,
        record=match.achievement.title,
    )


def _tell_introduction(match: Match) -> None:
    """Introducing a pair tells both sides, each with the other's contact."""
    need, achievement = match.need, match.achievement
    enterprise_contacts = (
        "; ".join(
            " ".join(filter(None, [u.get_full_name() or u.username, u.phone, u.email])) for u in _need_people(match)
        )
        or "—"
    )  # as much as the institution's side gets: a name, a phone, an address
    institution_contact = " ".join(
        filter(None, [achievement.contact_name, achievement.contact_phone, achievement.contact_email])
    ) or ", ".join(u.email for u in _achievement_people(match) if u.email)
    notify(
        _need_people(match),
        kind=Kind.INTRODUCTION,
        subject=gettext_noop("Introduction: %(achievement)s"),
        body=gettext_noop(
            "Your broker introduces you to %(institution)s about their achievement “%(achievement)s”, "
            "which answers your need “%(need)s”. Contact: %(contact)s"
        ),
        url=reverse("web-achievement", args=[achievement.pk]),
        achievement=achievement.title,
        institution=achievement.institution.name,
        need=need.title,
        contact=institution_contact or "—",
    )
    confidential = need.confidentiality != Confidentiality.PUBLIC
    notify(
        _achievement_people(match),
        kind=Kind.INTRODUCTION,
        subject=gettext_noop("Introduction: %(enterprise)s"),
        # a brokers-only need's title stays with brokers: the broker tells the institution what it
        # needs to know, the stored notification and the e-mail do not
        body=gettext_noop(
            "Your broker introduces you to %(enterprise)s, whose confidential need your achievement "
            "“%(achievement)s” may answer; your broker tells you more. Contact: %(contact)s"
        )
        if confidential
        else gettext_noop(
            "Your broker introduces you to %(enterprise)s, whose need “%(need)s” your achievement "
            "“%(achievement)s” may answer. Contact: %(contact)s"
        ),
        url=reverse("web-enterprise", args=[need.enterprise_id]),
        achievement=achievement.title,
        enterprise=need.enterprise.name,
        need="" if confidential else need.title,
        contact=enterprise_contacts,
    )


def may_request_on_match(user, match: Match) -> bool:
    """The parties of a match: members of the need's enterprise or the achievement's institution."""
    return (user.role == Role.ENTERPRISE and user.enterprise_id == match.need.enterprise_id) or (
        user.role == Role.INSTITUTION and user.institution_id == match.achievement.institution_id
    )


@transaction.atomic
def match_add_note(*, match: Match, actor, text: str) -> MatchNote:
    from .selectors import may_work_match

    if not may_work_match(actor, match):
        raise PermissionDenied(_("Only the broker this match is assigned to can work it."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    if len(text) > 5000:
        raise ValidationError({"text": _("A note may be at most 5,000 characters.")})
    return MatchNote.objects.create(match=match, author=actor, kind=NoteKind.NOTE, text=text)


REQUEST_SUBJECTS = {
    NoteKind.INTRODUCTION_REQUEST: gettext_noop("%(who)s asks for an introduction"),
    NoteKind.MEETING_REQUEST: gettext_noop("%(who)s asks for a meeting"),
}


def _side_members(actor):
    """The actor and its colleagues (the members of its institution or enterprise)."""
    if actor.role == Role.INSTITUTION and actor.institution_id:
        return User.objects.filter(role=Role.INSTITUTION, institution_id=actor.institution_id)
    if actor.role == Role.ENTERPRISE and actor.enterprise_id:
        return User.objects.filter(role=Role.ENTERPRISE, enterprise_id=actor.enterprise_id)
    return User.objects.filter(pk=actor.pk)


@transaction.atomic
def request_on_match(*, match: Match, actor, kind: str, message: str = "") -> MatchNote:
    """A party asks the broker for an introduction or a meeting; the broker is e-mailed."""
    if not may_request_on_match(actor, match):
        raise PermissionDenied(_("Only the enterprise or the institution of this match can ask."))
    if kind not in (NoteKind.INTRODUCTION_REQUEST, NoteKind.MEETING_REQUEST):
        raise ValidationError({"kind": _("Ask for an introduction or a meeting.")})
    # Lock the match so that two requests at once are checked one after the other: the second
    # sees the first's note and is refused (and its stage is read as it is now).
    match = (
        Match.objects.select_for_update(of=("self",)).select_related("need", "achievement", "broker").get(pk=match.pk)
    )
    if match.stage in (Stage.DECLINED, Stage.WITHDRAWN, Stage.CONTRACT_SIGNED):
        raise ValidationError({"kind": _("This match is closed.")})
    if MatchNote.objects.filter(match=match, kind=kind, author__in=_side_members(actor)).exists():
        # once per side: a colleague's request for the same thing stands for the organisation
        raise ValidationError({"kind": _("Your organisation has already asked; the broker will be in touch.")})
    note = MatchNote.objects.create(match=match, author=actor, kind=kind, text=(message or "").strip()[:2000])
    brokers = [match.broker] if match.broker_id else list(User.objects.filter(role=Role.BROKER, is_active=True)[:5])
    notify(
        brokers,
        kind=Kind.MATCH_REQUEST,
        subject=REQUEST_SUBJECTS[kind],
        body=gettext_noop("About the match “%(need)s” ↔ “%(achievement)s”. %(message)s"),
        url=reverse("broker-match", args=[match.pk]),
        who=actor.get_full_name() or actor.username,
        need=match.need.title,
        achievement=match.achievement.title,
        message=note.text,
    )
    return note
