"""Reads for the participants' pages of an event: what each participant brings, the catalogue of
whom to meet ("worth meeting" first), requests and the personal agenda. Every achievement and need
shown passes the one visibility rule of its app (`achievements_visible_to`, `needs_visible_to`)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from achievements.selectors import achievements_visible_to
from enterprises.selectors import needs_visible_to
from matchmaking.selectors import matches_visible_to

from .models import MatchmakingEvent, Meeting, MeetingStatus, Registration, RequestStatus, Side


def organisation_of(registration: Registration):
    user = registration.user
    return user.institution or user.enterprise or user.agency


def label(registration: Registration) -> str:
    organisation = organisation_of(registration)
    name = registration.user.get_full_name() or registration.user.username
    return f"{organisation} · {name}" if organisation else name


def party(registration: Registration) -> str:
    """The short name in grids and lists: the organisation, else the person."""
    organisation = organisation_of(registration)
    return str(organisation) if organisation else registration.user.get_full_name() or registration.user.username


def registration_of(user, event: MatchmakingEvent) -> Registration | None:
    if not user.is_authenticated:
        return None
    return event.registrations.filter(user=user).select_related("user").first()


def with_what_they_bring(queryset, viewer):
    """Registrations with `shown_achievements` / `shown_needs`: what each brings that `viewer` may
    see (a confidential need brought to the event stays hidden from those who may not see it)."""
    return queryset.select_related("user__institution", "user__enterprise", "user__agency").prefetch_related(
        Prefetch(
            "achievements",
            queryset=achievements_visible_to(viewer).select_related("field").order_by("title"),
            to_attr="shown_achievements",
        ),
        Prefetch(
            "needs", queryset=needs_visible_to(viewer).select_related("field").order_by("title"), to_attr="shown_needs"
        ),
    )


@dataclass
class Entry:
    registration: Registration
    score: float  # the best match between the two organisations the viewer may see, 0 if none
    because: str  # the matched achievement and need, for "worth meeting"
    request_state: str = ""  # "sent", "received", "accepted", "declined" or ""
    brings: list = field(default_factory=list)


def catalogue(event: MatchmakingEvent, mine: Registration, viewer, *, query: str = "") -> list[Entry]:
    """The other side of the event (holders see enterprises and back), best matches first."""
    other = Side.ENTERPRISE if mine.side == Side.HOLDER else Side.HOLDER
    registrations = with_what_they_bring(event.registrations.filter(side=other).exclude(pk=mine.pk), viewer)
    if query:
        registrations = registrations.filter(
            Q(user__institution__name__icontains=query)
            | Q(user__enterprise__name__icontains=query)
            | Q(user__username__icontains=query)
            | Q(achievements__title__icontains=query, achievements__in=achievements_visible_to(viewer))
            | Q(needs__title__icontains=query, needs__in=needs_visible_to(viewer))
        ).distinct()
    registrations = list(registrations)
    scores = _best_matches(mine, registrations, viewer)
    states = _request_states(event, mine)
    entries = []
    for registration in registrations:
        score, because = scores.get(registration.pk, (0.0, ""))
        entries.append(
            Entry(
                registration,
                score,
                because,
                states.get(registration.pk, ""),
                registration.shown_achievements + registration.shown_needs,
            )
        )
    entries.sort(key=lambda e: (-e.score, str(organisation_of(e.registration) or ""), e.registration.pk))
    return entries


def fields_brought(event: MatchmakingEvent, mine: Registration, viewer) -> dict:
    """The technical fields of what the other side brings that the viewer may see, by code, for
    the catalogue's field filter (whatever the search, so the filter stays)."""
    from core.models import TechnicalField

    other = Side.ENTERPRISE if mine.side == Side.HOLDER else Side.HOLDER
    brought_achievements = Registration.achievements.through.objects.filter(
        registration__event=event, registration__side=other, achievement__in=achievements_visible_to(viewer)
    ).values("achievement__field")
    brought_needs = Registration.needs.through.objects.filter(
        registration__event=event, registration__side=other, technologyneed__in=needs_visible_to(viewer)
    ).values("technologyneed__field")
    fields = TechnicalField.objects.filter(Q(pk__in=brought_achievements) | Q(pk__in=brought_needs))
    return {f.code: f for f in fields}


WORTH_MEETING = 0.35  # a calibrated match score: about one pair in three so scored was relevant on the dev sets


def _best_matches(mine: Registration, others: list[Registration], viewer) -> dict[int, tuple[float, str]]:
    """For each other registration, the best match worth a meeting between the viewer's
    organisation and theirs that the viewer may see: pairs of records both bring first, then
    pairs with one brought record, then any (one query)."""
    holder_side = mine.side == Side.HOLDER
    own = mine.user.institution_id if holder_side else mine.user.enterprise_id
    if not own:
        return {}
    by_organisation: dict[int, list[Registration]] = {}
    for registration in others:
        key = registration.user.enterprise_id if holder_side else registration.user.institution_id
        if key:
            by_organisation.setdefault(key, []).append(registration)
    if holder_side:
        matches = matches_visible_to(viewer).filter(
            achievement__institution_id=own, need__enterprise_id__in=by_organisation
        )
        mine_brought = set(mine.achievements.values_list("pk", flat=True))
    else:
        matches = matches_visible_to(viewer).filter(
            need__enterprise_id=own, achievement__institution_id__in=by_organisation
        )
        mine_brought = set(mine.needs.values_list("pk", flat=True))
    best: dict[int, tuple] = {}
    worth = matches.filter(score__gte=WORTH_MEETING).select_related("achievement", "need").order_by("-score", "pk")
    for match in worth[:2000]:
        key = match.need.enterprise_id if holder_side else match.achievement.institution_id
        own_record, their_record = (
            (match.achievement_id, match.need_id) if holder_side else (match.need_id, match.achievement_id)
        )
        for registration in by_organisation.get(key, []):
            theirs = {r.pk for r in (registration.shown_needs if holder_side else registration.shown_achievements)}
            rank = ((own_record in mine_brought) + (their_record in theirs), match.score)
            if registration.pk not in best or rank > best[registration.pk][0]:
                best[registration.pk] = (rank, match.score, f"{match.achievement.title} ↔ {match.need.title}")
    return {pk: (score, because) for pk, (_rank, score, because) in best.items()}


def _request_states(event: MatchmakingEvent, mine: Registration) -> dict[int, str]:
    states = {}
    mine_requests = event.requests.filter(Q(sender=mine) | Q(receiver=mine))
    for request in mine_requests.only("event", "sender", "receiver", "status"):
        other = request.receiver_id if request.sender_id == mine.pk else request.sender_id
        if request.status == RequestStatus.PENDING:
            state = "sent" if request.sender_id == mine.pk else "received"
        else:
            state = request.status
        if states.get(other) != "accepted":
            states[other] = state
    return states


def requests_of(event: MatchmakingEvent, mine: Registration, viewer) -> tuple[list, list]:
    """(received, sent) requests of a participant, each with the other side's registration and
    what it brings."""
    requests = list(event.requests.filter(Q(sender=mine) | Q(receiver=mine)).order_by("-created_at", "-id"))
    others = {r.receiver_id if r.sender_id == mine.pk else r.sender_id for r in requests}
    registrations = {r.pk: r for r in with_what_they_bring(Registration.objects.filter(pk__in=others), viewer)}
    received, sent = [], []
    for request in requests:
        incoming = request.receiver_id == mine.pk
        other = registrations[request.sender_id if incoming else request.receiver_id]
        row = {"request": request, "other": other, "brings": other.shown_achievements + other.shown_needs}
        (received if incoming else sent).append(row)
    return received, sent


def agenda(event: MatchmakingEvent, mine: Registration, viewer) -> list[dict]:
    """The participant's scheduled (and held) meetings in time order, with the partner and what it
    brings; the viewer's own rating when given."""
    return agendas(event, [mine], viewer)[mine.pk]


def agendas(event: MatchmakingEvent, registrations, viewer) -> dict[int, list[dict]]:
    """`agenda` for many participants at once (every agenda of an event in one zip): the same
    rows, from one read of the meetings and one of the partners (a fixed number of queries)."""
    ids = {r.pk for r in registrations}
    meetings = list(
        event.meetings.filter(Q(holder_id__in=ids) | Q(enterprise_id__in=ids))
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("starts_at", "table")
    )
    partner_ids = {m.holder_id for m in meetings} | {m.enterprise_id for m in meetings}
    partners = {r.pk: r for r in with_what_they_bring(Registration.objects.filter(pk__in=partner_ids), viewer)}
    rows: dict[int, list[dict]] = {pk: [] for pk in ids}
    for meeting in meetings:
        for own, other, holder_side in (
            (meeting.holder_id, meeting.enterprise_id, True),
            (meeting.enterprise_id, meeting.holder_id, False),
        ):
            if own not in ids:
                continue
            partner = partners[other]
            rows[own].append(
                {
                    "meeting": meeting,
                    "partner": partner,
                    "brings": partner.shown_achievements + partner.shown_needs,
                    "rating": meeting.holder_rating if holder_side else meeting.enterprise_rating,
                    "outcome": meeting.holder_outcome if holder_side else meeting.enterprise_outcome,
                }
            )
    return rows


def own_records(user, side: str):
    """What a participant may choose to bring: its organisation's published achievements or needs."""
    from achievements.models import Achievement, AchievementStatus
    from enterprises.models import NeedStatus, TechnologyNeed

    if side == Side.HOLDER and user.institution_id:
        return Achievement.objects.filter(
            institution_id=user.institution_id, status=AchievementStatus.PUBLISHED
        ).order_by("title")
    if side == Side.ENTERPRISE and user.enterprise_id:
        return TechnologyNeed.objects.filter(enterprise_id=user.enterprise_id, status=NeedStatus.PUBLISHED).order_by(
            "title"
        )
    return None


def meeting_of(user, pk) -> Meeting | None:
    return (
        Meeting.objects.filter(pk=pk)
        .filter(Q(holder__user=user) | Q(enterprise__user=user))
        .select_related("event", "holder", "enterprise")
        .first()
    )


@dataclass
class Pair:
    holder: Registration
    enterprise: Registration
    score: float
    because: str
    state: str  # "" or the request's status between the two


def pairs_worth_meeting(event: MatchmakingEvent, viewer, *, limit: int = 200) -> list[Pair]:
    """For a broker at the event: holder-enterprise pairs of participants whose organisations have
    a match worth a meeting that the broker may see, best first, with any request between them."""
    registrations = list(with_what_they_bring(event.registrations.exclude(side=Side.BROKER), viewer))
    holders: dict[int, list[Registration]] = {}
    enterprises: dict[int, list[Registration]] = {}
    for registration in registrations:
        if registration.side == Side.HOLDER and registration.user.institution_id:
            holders.setdefault(registration.user.institution_id, []).append(registration)
        elif registration.side == Side.ENTERPRISE and registration.user.enterprise_id:
            enterprises.setdefault(registration.user.enterprise_id, []).append(registration)
    if not holders or not enterprises:
        return []
    matches = (
        matches_visible_to(viewer)
        .filter(achievement__institution_id__in=holders, need__enterprise_id__in=enterprises, score__gte=WORTH_MEETING)
        .select_related("achievement", "need")
        .order_by("-score", "pk")[:2000]
    )
    best: dict[tuple[int, int], Pair] = {}
    for match in matches:
        for holder in holders[match.achievement.institution_id]:
            for enterprise in enterprises[match.need.enterprise_id]:
                key = (holder.pk, enterprise.pk)
                if key not in best:
                    because = f"{match.achievement.title} ↔ {match.need.title}"
                    best[key] = Pair(holder, enterprise, match.score, because, "")
    for request in event.requests.all():
        for key in ((request.sender_id, request.receiver_id), (request.receiver_id, request.sender_id)):
            if key in best:
                best[key].state = request.status
    return sorted(best.values(), key=lambda p: (-p.score, p.holder.pk, p.enterprise.pk))[:limit]
