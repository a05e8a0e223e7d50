"""Scheduling an event's 1:1 meetings: the pairs worth a meeting, their value, and the run."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking.models import Match

from .. import scheduling
from ..models import (
    EventStatus,
    MatchmakingEvent,
    Meeting,
    MeetingStatus,
    Registration,
    RequestStatus,
    Side,
)
from .timing import _windows, event_slots

# Pair values: mutual requests first, then accepted one-sided requests, then broker recommendations.
REQUEST_WEIGHTS = {"mutual": 3.0, "accepted": 2.0, "recommended": 1.0}


NO_SHOW_FACTOR = 0.7  # each earlier no-show multiplies a participant's pairs by this


def _available(registration: Registration, slots: list[datetime], length: timedelta) -> frozenset:
    windows = _windows(registration.event, registration.availability, "availability")
    if not windows:
        return frozenset(range(len(slots)))
    return frozenset(
        i for i, start in enumerate(slots) if any(w0 <= start and start + length <= w1 for w0, w1 in windows)
    )


def _no_shows(event, registrations) -> dict[int, int]:
    """How often each participant failed to turn up at earlier events."""
    users = [r.user_id for r in registrations]
    counts = defaultdict(int)
    earlier = Registration.objects.filter(user_id__in=users, no_show=True).exclude(event=event)
    for user_id in earlier.values_list("user_id", flat=True):
        counts[user_id] += 1
    return counts


def _match_scores(holders, enterprises) -> dict[tuple[int, int], float]:
    """Best stored match score between each holder's institution and enterprise's needs."""
    institution_of = {r.pk: r.user.institution_id for r in holders}
    enterprise_of = {r.pk: r.user.enterprise_id for r in enterprises}
    best = {}
    rows = Match.objects.filter(
        achievement__institution_id__in=set(institution_of.values()) - {None},
        need__enterprise_id__in=set(enterprise_of.values()) - {None},
    ).values_list("achievement__institution_id", "need__enterprise_id", "score")
    for institution, enterprise, score in rows:
        best[(institution, enterprise)] = max(best.get((institution, enterprise), 0.0), score)
    return {(h, e): best.get((institution_of[h], enterprise_of[e]), 0.0) for h in institution_of for e in enterprise_of}


@dataclass
class ScheduleSummary:
    meetings: int
    objective: float
    bound: float
    gap: float
    optimal: bool
    moved: int
    seconds: float


def build_problem(event: MatchmakingEvent) -> tuple[scheduling.Problem, list[datetime]]:
    slots = event_slots(event)
    length = timedelta(minutes=event.meeting_minutes)
    # people marked absent at the door are not scheduled again
    registrations = list(event.registrations.select_related("user").exclude(side=Side.BROKER).exclude(no_show=True))
    no_shows = _no_shows(event, registrations)
    user_of = {r.pk: r.user_id for r in registrations}
    people = {
        r.pk: scheduling.Person(r.pk, r.side, r.max_meetings, _available(r, slots, length)) for r in registrations
    }
    holders = [r for r in registrations if r.side == Side.HOLDER]
    enterprises = [r for r in registrations if r.side == Side.ENTERPRISE]
    scores = _match_scores(holders, enterprises)
    requests = defaultdict(set)
    recommended = set()
    for request in event.requests.select_related("sender", "receiver"):
        pair = _pair(request.sender, request.receiver)
        if pair is None or request.status == RequestStatus.DECLINED:
            continue
        if request.recommended_by_id:
            recommended.add(pair)
        requests[pair].add((request.sender_id, request.status))
    # a pair that met, missed or cancelled its meeting is not offered a second one
    settled = set(event.meetings.exclude(status=MeetingStatus.SCHEDULED).values_list("holder_id", "enterprise_id"))
    candidates = []
    for pair in (set(requests) | recommended) - settled:
        if pair[0] not in people or pair[1] not in people:
            continue
        senders = {sender for sender, _status in requests.get(pair, ())}
        accepted = any(status == RequestStatus.ACCEPTED for _sender, status in requests.get(pair, ()))
        if len(senders) == 2:
            kind = "mutual"
        elif accepted:
            kind = "accepted"
        elif pair in recommended:
            kind = "recommended"
        else:
            continue  # a one-sided request the other side has not accepted
        factor = 1.0
        for registration_id in pair:
            factor *= NO_SHOW_FACTOR ** no_shows.get(user_of[registration_id], 0)
        value = REQUEST_WEIGHTS[kind] * (0.5 + scores.get(pair, 0.0)) * factor
        candidates.append(scheduling.Candidate(pair[0], pair[1], round(value, 4)))
    existing = {
        (m.holder_id, m.enterprise_id): (m.slot, m.table)
        for m in event.meetings.filter(status=MeetingStatus.SCHEDULED)
        if m.holder_id in people and m.enterprise_id in people
    }
    problem = scheduling.Problem(
        len(slots), event.tables, people, sorted(candidates, key=lambda c: (c.holder, c.enterprise)), existing
    )
    return problem, slots


def _pair(a: Registration, b: Registration):
    sides = {a.side: a.pk, b.side: b.pk}
    if set(sides) != {Side.HOLDER, Side.ENTERPRISE}:
        return None
    return sides[Side.HOLDER], sides[Side.ENTERPRISE]


def _meetings_state(event: MatchmakingEvent) -> tuple:
    return (
        tuple(event.meetings.order_by("pk").values_list("pk", "status")),
        tuple(event.registrations.filter(no_show=True).order_by("pk").values_list("pk", flat=True)),
    )


def schedule_event(*, event: MatchmakingEvent, actor=None, time_limit: float = 9.0) -> ScheduleSummary:
    """(Re-)schedule an event's 1:1 meetings; existing meetings stay put unless moving gains enough."""
    if event.status in (EventStatus.HELD, EventStatus.CANCELLED):
        raise ValidationError({"status": _("A held or cancelled event cannot be scheduled.")})
    if event.starts_at <= timezone.now():
        # a new schedule could put meetings in slots already over (attack 18 F6)
        raise ValidationError(
            {"status": _("The event has begun: give freed tables to waiting pairs from the door instead.")}
        )
    before = _meetings_state(event)
    problem, slots = build_problem(event)
    try:
        schedule = scheduling.solve(problem, time_limit=time_limit)
    except scheduling.ScheduleInputError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
        if _meetings_state(event) != before:
            # a cancellation or a no-show came in while the solver ran: its schedule is out of date
            raise ValidationError(_("Meetings changed while the scheduler ran: run it again."))
        event.meetings.filter(status=MeetingStatus.SCHEDULED).delete()
        Meeting.objects.bulk_create(
            [
                Meeting(
                    event=event,
                    holder_id=m.holder,
                    enterprise_id=m.enterprise,
                    slot=m.slot,
                    table=m.table,
                    starts_at=slots[m.slot],
                    value=m.value,
                )
                for m in schedule.placements
            ]
        )
    return ScheduleSummary(
        len(schedule.placements),
        schedule.objective,
        schedule.bound,
        round(schedule.gap, 4),
        schedule.optimal,
        schedule.moved,
        round(schedule.seconds, 2),
    )
