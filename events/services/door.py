"""On the day: check-in at the door, absences, and freed tables offered to waiting pairs."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    EventStatus,
    MatchmakingEvent,
    Meeting,
    MeetingStatus,
    Registration,
)
from .schedule import build_problem


def door_closed_reason(event: MatchmakingEvent, *, absence: bool = False) -> str:
    """Why the door's records cannot be taken now, or "": check-in on the event's days only, and an
    absence only once the event has begun (weeks ahead, a click would free real meetings)."""
    now = timezone.now()
    first_day = timezone.localtime(event.starts_at).date()
    last_day = timezone.localtime(event.ends_at).date()
    if event.status == EventStatus.CANCELLED:
        return _("The event is cancelled.")
    if timezone.localdate() < first_day:
        return _("The door opens on the day of the event, %(day)s.") % {"day": first_day}
    if absence and now < event.starts_at:
        return _("Absences are recorded once the event has begun, at %(time)s.") % {
            "time": timezone.localtime(event.starts_at).strftime("%H:%M")
        }
    if timezone.localdate() > last_day:
        return _("The event is over: the door's records are closed.")
    return ""


def _door_open(event_id: int, *, absence: bool = False) -> None:
    event = MatchmakingEvent.objects.select_for_update().get(pk=event_id)
    reason = door_closed_reason(event, absence=absence)
    if reason:
        raise ValidationError({"registration": reason})


@transaction.atomic
def check_in(*, registration: Registration) -> Registration:
    """Check a participant in; if they were marked absent by mistake, their meetings still ahead
    come back where the table and the partner are still free."""
    _door_open(registration.event_id)
    was_absent = Registration.objects.filter(pk=registration.pk, no_show=True).exists()
    registration.checked_in, registration.no_show = True, False
    registration.save(update_fields=["checked_in", "no_show"])
    if was_absent:
        missed = Meeting.objects.filter(
            Q(holder=registration) | Q(enterprise=registration),
            status=MeetingStatus.NO_SHOW,
            starts_at__gt=timezone.now(),
        ).select_related("holder", "enterprise")
        for meeting in missed:
            if meeting.holder.no_show or meeting.enterprise.no_show:
                continue
            try:
                with transaction.atomic():  # the table or a partner may have been given away meanwhile
                    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.SCHEDULED)
            except IntegrityError:
                continue
    return registration


@transaction.atomic
def record_no_show(*, registration: Registration) -> int:
    """Mark a participant absent: their scheduled meetings become no-shows, which frees the
    partners' slots for waiting pairs; their history lowers their priority next time."""
    _door_open(registration.event_id, absence=True)
    registration.no_show, registration.checked_in = True, False
    registration.save(update_fields=["no_show", "checked_in"])
    return Meeting.objects.filter(
        Q(holder=registration) | Q(enterprise=registration), status=MeetingStatus.SCHEDULED
    ).update(status=MeetingStatus.NO_SHOW)


@transaction.atomic
def fill_freed_slots(*, event: MatchmakingEvent) -> list[Meeting]:
    """Offer free tables to waiting pairs: the most valuable candidate pair whose two people
    are both present and free in that slot gets it. Two offers at once wait for each other.
    Tables are freed by absences, so this opens when they do: once the event has begun."""
    _door_open(event.pk, absence=True)
    problem, slots = build_problem(event)
    # at the door, "present" means checked in: a table is offered only to two people who are there
    present = {r.pk for r in event.registrations.filter(checked_in=True, no_show=False)}
    scheduled = list(event.meetings.filter(status=MeetingStatus.SCHEDULED))
    met = {(m.holder_id, m.enterprise_id) for m in event.meetings.all()}
    busy = {(m.holder_id, m.slot) for m in scheduled} | {(m.enterprise_id, m.slot) for m in scheduled}
    load = defaultdict(int)
    for m in scheduled:
        load[m.holder_id] += 1
        load[m.enterprise_id] += 1
    tables_used = defaultdict(set)
    for m in scheduled:
        tables_used[m.slot].add(m.table)
    now = timezone.now()
    created = []
    waiting = sorted((c for c in problem.candidates if (c.holder, c.enterprise) not in met), key=lambda c: -c.value)
    for slot, start in enumerate(slots):
        if start < now:
            continue  # only slots still ahead
        for candidate in waiting:
            if len(tables_used[slot]) >= event.tables:
                break
            pair = (candidate.holder, candidate.enterprise)
            people = [problem.people[p] for p in pair]
            if pair in met or any(
                p.id not in present or (p.id, slot) in busy or slot not in p.available or load[p.id] >= p.max_meetings
                for p in people
            ):
                continue
            table = next(t for t in range(1, event.tables + 1) if t not in tables_used[slot])
            created.append(
                Meeting.objects.create(
                    event=event,
                    holder_id=pair[0],
                    enterprise_id=pair[1],
                    slot=slot,
                    table=table,
                    starts_at=start,
                    value=candidate.value,
                )
            )
            met.add(pair)
            tables_used[slot].add(table)
            for p in pair:
                busy.add((p, slot))
                load[p] += 1
    return created
