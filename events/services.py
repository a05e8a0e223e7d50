"""Writes of the events app: planning a programme's year and scheduling an event's meetings."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.validators import LATEST_DATE, validate_multiline_text
from matchmaking.models import Match
from notifications.kinds import Kind
from notifications.services import notify

from . import closed_days, planning, scheduling
from .models import (
    EventStatus,
    FollowUpSurvey,
    MatchmakingEvent,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Programme,
    Registration,
    RequestStatus,
    Room,
    RoomClosure,
    Side,
)

# Pair values: mutual requests first, then accepted one-sided requests, then broker recommendations.
REQUEST_WEIGHTS = {"mutual": 3.0, "accepted": 2.0, "recommended": 1.0}
NO_SHOW_FACTOR = 0.7  # each earlier no-show multiplies a participant's pairs by this


def _clock(event: MatchmakingEvent, text: str, what: str) -> datetime:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
        local = timezone.localtime(event.starts_at)
        return local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    except (TypeError, ValueError):
        raise ValidationError({what: _("Times are written HH:MM, e.g. 14:30.")}) from None


def _windows(event: MatchmakingEvent, windows, what: str) -> list[tuple[datetime, datetime]]:
    result = []
    for window in windows or []:
        if not isinstance(window, (list, tuple)) or len(window) != 2:
            raise ValidationError({what: _("Each window is a pair [start, end].")})
        start, end = _clock(event, window[0], what), _clock(event, window[1], what)
        if end <= start:
            raise ValidationError({what: _("A window must end after it starts.")})
        if start < event.starts_at or end > event.ends_at:
            raise ValidationError(
                {
                    what: _("The window %(start)s-%(end)s lies outside the event.")
                    % {"start": window[0], "end": window[1]}
                }
            )
        result.append((start, end))
    result.sort()
    for (_start, first_end), (second_start, _end) in zip(result, result[1:], strict=False):
        if second_start < first_end:
            raise ValidationError({what: _("Windows overlap.")})
    return result


def _plain_text(value: str, field: str) -> None:
    """Messages and comments: line breaks yes, control characters and bidi overrides no."""
    try:
        validate_multiline_text(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _check_windows(event: MatchmakingEvent, availability) -> None:
    """Windows inside the event that hold at least one whole meeting slot."""
    windows = _windows(event, availability, "availability")
    if not windows:
        return
    length = timedelta(minutes=event.meeting_minutes)
    if not any(w0 <= start and start + length <= w1 for start in event_slots(event) for w0, w1 in windows):
        times = ", ".join(f"{timezone.localtime(t):%H:%M}" for t in event_slots(event))
        raise ValidationError(
            {
                "availability": _(
                    "Your windows hold no whole meeting of %(minutes)s minutes (breaks excluded); meetings start "
                    "at %(times)s."
                )
                % {"minutes": event.meeting_minutes, "times": times}
            }
        )


def event_slots(event: MatchmakingEvent) -> list[datetime]:
    """Slot start times: the event cut into meetings of `meeting_minutes`, skipping breaks."""
    breaks = _windows(event, event.breaks, "breaks")
    length = timedelta(minutes=event.meeting_minutes)
    slots, start = [], event.starts_at
    while start + length <= event.ends_at:
        end = start + length
        overlapping = next(((b0, b1) for b0, b1 in breaks if start < b1 and b0 < end), None)
        if overlapping:
            start = overlapping[1]
            continue
        slots.append(start)
        start = end
    if not slots:
        raise ValidationError({"meeting_minutes": _("No meeting fits in the event's time.")})
    return slots


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


# Planning the year ------------------------------------------------------------------------------


@dataclass
class PlanSummary:
    created: int
    wanted: int
    advice: list


def plan_programme(
    *, programme: Programme, actor=None, time_limit: float = 25.0, day_start: int = 9, session_hours: int = 3
) -> PlanSummary:
    """Place the programme's wanted events on the calendar as draft events (replacing earlier
    drafts of this programme); the advice says what to relax when not everything fits."""
    rooms = list(Room.objects.all())
    if not rooms:
        raise ValidationError(_("Add a venue with at least one room first."))
    closures = defaultdict(set)
    for closure in RoomClosure.objects.all():
        closures[closure.room_id].add(closure.date)
    themes = list(programme.themes.select_related("field"))
    if not themes:
        raise ValidationError(_("Give the programme at least one theme with a wanted number of events."))
    taken, fixed, confirmed = _calendar_so_far(programme, day_start, session_hours)
    kinds = [
        planning.EventKind(
            theme.field.name,  # the advice names themes in the organiser's language
            programme.organiser_id,
            theme.expected_attendance,
            max(theme.wanted_events - confirmed[theme.field_id], 0),
        )
        for theme in themes
    ]
    request = planning.PlanRequest(
        start=datetime(programme.year, 1, 1).date(),
        end=datetime(programme.year, 12, 31).date(),
        rooms=[planning.Room(r.pk, r.capacity, frozenset(closures[r.pk])) for r in rooms],
        kinds=kinds,
        holidays=frozenset(closed_days.closed_days(programme.year)),
        daily_cap=programme.daily_cap,
        organiser_daily_cap=programme.organiser_daily_cap,
        theme_spacing=programme.theme_spacing_days,
        taken=frozenset(taken),
        fixed=tuple(fixed),
        organiser_names={programme.organiser_id: programme.organiser.get_full_name() or programme.organiser.username},
    )
    try:
        result = planning.plan(request, time_limit=time_limit)
    except planning.PlanningInputError as exc:
        raise ValidationError(str(exc)) from exc
    rooms_by_id = {r.pk: r for r in rooms}
    fields = {theme.field.name: theme.field for theme in themes}
    with transaction.atomic():
        programme.events.filter(status=EventStatus.DRAFT).delete()
        for planned in result.events:
            start = timezone.make_aware(
                datetime.combine(planned.day, datetime.min.time()).replace(
                    hour=day_start + planned.session * (session_hours + 1)
                )
            )
            room = rooms_by_id[planned.room]
            event = MatchmakingEvent.objects.create(
                programme=programme,
                title=f"{fields[planned.theme].name_zh}成果对接会 {planned.day:%m-%d}",
                room=room,
                starts_at=start,
                ends_at=start + timedelta(hours=session_hours),
                capacity=room.capacity,
                tables=room.tables,
                organiser=programme.organiser,
                registration_deadline=start - timedelta(days=3),
            )
            event.fields.add(fields[planned.theme])
    return PlanSummary(result.placed, result.wanted, result.advice)


def _calendar_so_far(programme: Programme, day_start: int, session_hours: int):
    """What the planner must plan around: the room sessions other events hold (confirmed events
    anywhere, and other programmes' drafts), this programme's events already on the calendar (for
    the daily caps and each theme's spacing), and how many each theme has (its field's id)."""
    from collections import Counter

    year_events = (
        MatchmakingEvent.objects.filter(starts_at__year=programme.year)
        .exclude(status=EventStatus.CANCELLED)
        .exclude(programme=programme, status=EventStatus.DRAFT)
        .prefetch_related("fields")
    )
    afternoon = day_start + session_hours  # sessions start at day_start and day_start + session_hours + 1
    taken, fixed, confirmed = set(), [], Counter()
    for event in year_events:
        start = timezone.localtime(event.starts_at)
        end = timezone.localtime(event.ends_at)
        if event.room_id:
            for session, (first, last) in enumerate(((0, afternoon), (afternoon, 24))):
                if start.hour < last and (end.hour > first or end.date() > start.date()):
                    taken.add((event.room_id, start.date(), session))
        if event.programme_id == programme.pk:
            for theme_field in event.fields.all():
                fixed.append((theme_field.name, programme.organiser_id, start.date()))
                confirmed[theme_field.pk] += 1
    return taken, fixed, confirmed


@transaction.atomic
def accept_drafts(*, programme: Programme) -> int:
    """The planned draft events become real: open for registration."""
    return programme.events.filter(status=EventStatus.DRAFT).update(status=EventStatus.OPEN)


SESSION_HOURS = 3
DAY_START = 9
# What people who registered planned their day by: changed only by moving the event (or not at all)
TIMING = ("starts_at", "ends_at", "room", "meeting_minutes", "breaks", "tables")


MAX_EVENT_DAYS = 7


def _check_event_times(event: MatchmakingEvent) -> None:
    errors = {}
    for name in ("starts_at", "ends_at", "registration_deadline"):
        value = getattr(event, name)
        if value is not None and not 2000 <= value.year <= 2100:
            errors[name] = _("Give a date between 2000 and 2100.")
    if not errors and event.starts_at and event.ends_at:
        if event.ends_at <= event.starts_at:
            errors["ends_at"] = _("The event must end after it starts.")
        elif event.ends_at - event.starts_at > timedelta(days=MAX_EVENT_DAYS):
            errors["ends_at"] = _("An event lasts at most %(days)d days.") % {"days": MAX_EVENT_DAYS}
    if not errors and event.registration_deadline and event.registration_deadline > event.starts_at:
        errors["registration_deadline"] = _("Registration must close before the event starts.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_event(*, organiser, fields=(), **values) -> MatchmakingEvent:
    """One event outside the planner (the API's POST and the organiser's web form): its programme
    must be the organiser's own, and its times give at least one meeting slot."""
    from .selectors import programmes_visible_to

    if not (organiser.role == "organiser" or organiser.is_platform_admin):
        raise PermissionDenied(_("Only organisers create events."))
    programme = values.get("programme")
    if programme is not None and not programmes_visible_to(organiser).filter(pk=programme.pk).exists():
        raise ValidationError({"programme": _("Choose one of your own programmes.")})
    event = MatchmakingEvent(organiser=organiser, **values)
    _check_event_times(event)
    event.full_clean()
    if event.room_id and event.starts_at:
        day = timezone.localtime(event.starts_at).date()
        if RoomClosure.objects.filter(room_id=event.room_id, date=day).exists():
            raise ValidationError({"room": _("The room is closed that day.")})
        if event.capacity > event.room.capacity:
            raise ValidationError(
                {"capacity": _("The room holds %(capacity)d people.") % {"capacity": event.room.capacity}}
            )
    event_slots(event)  # bad breaks or a too-short event get a clear error now
    event.save()
    event.fields.set(fields)
    return event


@transaction.atomic
def update_event(*, event: MatchmakingEvent, changes: dict) -> MatchmakingEvent:
    """The organiser changes an event (the API's PATCH). Once people have registered, its day,
    times, room and tables stay as they planned by: the web's Move has the checks for a draft."""
    locked = MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
    changed = [name for name in TIMING if name in changes and changes[name] != getattr(locked, name)]
    if changed and locked.status != EventStatus.DRAFT and locked.registrations.exists():
        raise ValidationError(
            {name: _("People have registered: tell them before moving it, or cancel it.") for name in changed}
        )
    if "starts_at" in changed and changes["starts_at"] <= timezone.now():
        raise ValidationError({"starts_at": _("Choose a day after today.")})
    for name, value in changes.items():
        if name != "fields":
            setattr(locked, name, value)
    locked.full_clean()
    event_slots(locked)
    locked.save()
    if "fields" in changes:
        locked.fields.set(changes["fields"])
    return locked


@transaction.atomic
def move_event(*, event: MatchmakingEvent, day, session: int, room: Room) -> MatchmakingEvent:
    """Move one event by hand, with the planner's own checks: an open weekday of the programme's
    year, the room open, free and large enough, the day's caps and the theme's spacing."""
    locked = MatchmakingEvent.objects.select_for_update(of=("self",)).select_related("programme").get(pk=event.pk)
    room = Room.objects.select_for_update().get(pk=room.pk)  # two moves into one room wait for each other
    programme = locked.programme
    if locked.status not in (EventStatus.DRAFT, EventStatus.OPEN, EventStatus.CLOSED):
        raise ValidationError({"day": _("A held or cancelled event cannot move.")})
    if locked.registrations.exists() and locked.status != EventStatus.DRAFT:
        raise ValidationError({"day": _("People have registered: tell them before moving it, or cancel it.")})
    if programme and day.year != programme.year:
        raise ValidationError(
            {"day": _("The day must lie in the programme's year %(year)s.") % {"year": programme.year}}
        )
    if day <= timezone.localdate():
        raise ValidationError({"day": _("Choose a day after today.")})
    if day > LATEST_DATE:
        raise ValidationError({"day": _("Choose a day before %(date)s.") % {"date": LATEST_DATE}})
    if day.weekday() >= 5 or closed_days.is_closed(day):
        raise ValidationError({"day": _("That day is a weekend or a public holiday.")})
    if RoomClosure.objects.filter(room=room, date=day).exists():
        raise ValidationError({"room": _("The room is closed that day.")})
    if locked.registrations.count() > room.capacity:
        raise ValidationError({"room": _("The room is too small for those registered.")})
    if session not in (0, 1):
        raise ValidationError({"session": _("Choose the morning or the afternoon.")})
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=DAY_START + session * 4))
    end = start + (locked.ends_at - locked.starts_at)
    others = MatchmakingEvent.objects.exclude(pk=locked.pk).exclude(status=EventStatus.CANCELLED)
    if others.filter(room=room, starts_at__lt=end, ends_at__gt=start).exists():
        raise ValidationError({"room": _("Another event uses the room then.")})
    same_day = others.filter(starts_at__date=day)
    if programme:
        if same_day.filter(programme=programme).count() >= programme.daily_cap:
            raise ValidationError({"day": _("The day already has %(cap)s events.") % {"cap": programme.daily_cap}})
        if same_day.filter(organiser=locked.organiser).count() >= programme.organiser_daily_cap:
            raise ValidationError({"day": _("The organiser already runs the most events a day allowed.")})
        spacing = timedelta(days=programme.theme_spacing_days)
        themes = list(locked.fields.values_list("pk", flat=True))
        near = others.filter(
            programme=programme,
            fields__in=themes,
            starts_at__date__gt=day - spacing,
            starts_at__date__lt=day + spacing,
        )
        if themes and near.exists():
            raise ValidationError(
                {
                    "day": _("Another event of the theme is within %(days)s days.")
                    % {"days": programme.theme_spacing_days}
                }
            )
    shift = start - locked.starts_at
    planned_suffix = f" {timezone.localtime(locked.starts_at):%m-%d}"
    if locked.title.endswith(planned_suffix):  # a planned event's title names its day
        locked.title = locked.title[: -len(planned_suffix)] + f" {day:%m-%d}"
    locked.breaks = [[_shifted(locked, b0, shift), _shifted(locked, b1, shift)] for b0, b1 in locked.breaks or []]
    locked.starts_at, locked.ends_at, locked.room = start, end, room
    locked.tables = min(locked.tables, room.tables) if locked.status != EventStatus.DRAFT else room.tables
    locked.capacity = min(locked.capacity, room.capacity)
    if locked.registration_deadline:
        # three days before, but never a deadline that has passed already
        locked.registration_deadline = max(start - timedelta(days=3), min(timezone.now() + timedelta(days=1), start))
    event_slots(locked)  # the breaks still fit the event
    locked.save(
        update_fields=["title", "starts_at", "ends_at", "room", "tables", "capacity", "breaks", "registration_deadline"]
    )
    return locked


def _shifted(event: MatchmakingEvent, clock: str, shift: timedelta) -> str:
    """A break's clock time moved with its event (breaks are kept as the day's HH:MM)."""
    moved = _clock(event, clock, "breaks") + shift
    return timezone.localtime(moved).strftime("%H:%M")


# Participants ------------------------------------------------------------------------------------

SIDE_OF_ROLE = {"institution": Side.HOLDER, "enterprise": Side.ENTERPRISE, "broker": Side.BROKER}


@transaction.atomic
def register(
    *, event: MatchmakingEvent, user, availability=(), max_meetings: int = 6, achievements=(), needs=()
) -> Registration:
    # Lock the event so that registrations are counted one after the other: two people taking the
    # last place at once give one registration and one "The event is full."
    event = MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError({"event": _("This event is not open for registration.")})
    if (
        event.registration_deadline and timezone.now() > event.registration_deadline
    ) or timezone.now() >= event.ends_at:
        raise ValidationError({"event": _("Registration for this event has closed.")})
    side = SIDE_OF_ROLE.get(user.role)
    if side is None:
        raise ValidationError({"event": _("Only achievement holders, enterprises and brokers take part.")})
    if event.registrations.count() >= event.capacity:
        raise ValidationError({"event": _("The event is full.")})
    _check_windows(event, availability)
    registration = Registration(
        event=event, user=user, side=side, availability=list(availability), max_meetings=max_meetings
    )
    registration.full_clean(validate_unique=False, validate_constraints=False)
    brought = _brought(registration, achievements, needs)
    if event.registrations.filter(user=user).exists():
        raise ValidationError({"event": _("You are already registered for this event.")})
    registration.save()
    registration.achievements.set(brought[0])
    registration.needs.set(brought[1])
    return registration


def meetings_outside_windows(registration: Registration) -> list[Meeting]:
    """The participant's scheduled meetings its current windows no longer hold."""
    meetings = Meeting.objects.filter(
        Q(holder=registration) | Q(enterprise=registration), status=MeetingStatus.SCHEDULED
    ).order_by("starts_at")
    return [m for m in meetings if not _in_windows(registration.event, registration, m)]


def event_meetings_outside_windows(event: MatchmakingEvent, meetings, registrations: dict) -> list[tuple]:
    """(meeting, participant) for each scheduled meeting a participant's windows no longer hold
    (they changed them after scheduling): the organiser's next scheduling run moves them."""
    outside = []
    for meeting in meetings:
        if meeting.status != MeetingStatus.SCHEDULED:
            continue
        for registration_id in (meeting.holder_id, meeting.enterprise_id):
            registration = registrations.get(registration_id)
            if registration is not None and not _in_windows(event, registration, meeting):
                outside.append((meeting, registration))
    return outside


def _in_windows(event: MatchmakingEvent, registration: Registration, meeting: Meeting) -> bool:
    try:
        windows = _windows(event, registration.availability, "availability")
    except ValidationError:  # stored windows the event's times no longer hold: none of them fits
        return False
    length = timedelta(minutes=event.meeting_minutes)
    return not windows or any(w0 <= meeting.starts_at and meeting.starts_at + length <= w1 for w0, w1 in windows)


@transaction.atomic
def update_registration(
    *, registration: Registration, user, availability=(), max_meetings: int = 6, achievements=(), needs=()
) -> Registration:
    """The participant changes its windows, meeting limit or what it brings (until the event starts)."""
    locked = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
    if locked.user_id != user.pk:
        raise ValidationError({"registration": _("Only the participant changes its registration.")})
    if locked.event.status not in (EventStatus.OPEN, EventStatus.CLOSED) or timezone.now() >= locked.event.starts_at:
        raise ValidationError({"registration": _("This event has begun: the registration can no longer change.")})
    _check_windows(locked.event, availability)
    locked.availability, locked.max_meetings = list(availability), max_meetings
    locked.full_clean(validate_unique=False, validate_constraints=False)
    brought = _brought(locked, achievements, needs)
    locked.save(update_fields=["availability", "max_meetings"])
    locked.achievements.set(brought[0])
    locked.needs.set(brought[1])
    return locked


def _brought(registration: Registration, achievements, needs) -> tuple[list, list]:
    """What a participant may bring: its own organisation's published achievements (holders) or
    needs (enterprises), nothing else."""
    from achievements.models import Achievement, AchievementStatus
    from enterprises.models import NeedStatus, TechnologyNeed

    user = registration.user
    achievement_ids, need_ids = {int(a) for a in achievements}, {int(n) for n in needs}
    if achievement_ids and registration.side != Side.HOLDER:
        raise ValidationError({"achievements": _("Only achievement holders bring achievements.")})
    if need_ids and registration.side != Side.ENTERPRISE:
        raise ValidationError({"needs": _("Only enterprises bring needs.")})
    own_achievements = list(
        Achievement.objects.filter(
            pk__in=achievement_ids, institution_id=user.institution_id, status=AchievementStatus.PUBLISHED
        )
    )
    if len(own_achievements) != len(achievement_ids):
        raise ValidationError({"achievements": _("Choose among your institution's published achievements.")})
    own_needs = list(
        TechnologyNeed.objects.filter(pk__in=need_ids, enterprise_id=user.enterprise_id, status=NeedStatus.PUBLISHED)
    )
    if len(own_needs) != len(need_ids):
        raise ValidationError({"needs": _("Choose among your enterprise's published needs.")})
    return own_achievements, own_needs


@transaction.atomic
def recommend_pair(*, broker, sender: Registration, receiver: Registration, message: str = "") -> MeetingRequest:
    """A broker who attends the event recommends that two participants meet (the web's pairs
    page and the API)."""
    if broker.role != "broker" or not receiver.event.registrations.filter(user=broker, side=Side.BROKER).exists():
        raise PermissionDenied(_("Brokers recommend pairs at events they attend, naming both people."))
    return request_meeting(sender=sender, receiver=receiver, message=message, recommended_by=broker)


def request_meeting(
    *, sender: Registration, receiver: Registration, message: str = "", recommended_by=None
) -> MeetingRequest:
    if sender.event_id != receiver.event_id:
        raise ValidationError({"receiver": _("Both people must be registered for the same event.")})
    if _pair(sender, receiver) is None:
        raise ValidationError({"receiver": _("Meetings pair an achievement holder with an enterprise.")})
    if message:
        _plain_text(message, "message")
    event = sender.event
    if event.status in (EventStatus.HELD, EventStatus.CANCELLED) or event.ends_at <= timezone.now():
        raise ValidationError({"receiver": _("The event is over: meetings can no longer be requested.")})
    if MeetingRequest.objects.filter(sender=sender, receiver=receiver).exists():
        raise ValidationError({"receiver": _("You have already asked this participant.")})
    asked_back = MeetingRequest.objects.filter(sender=receiver, receiver=sender).exclude(status=RequestStatus.DECLINED)
    if asked_back.exists():
        raise ValidationError({"receiver": _("They have already asked you for a meeting: answer their request.")})
    try:
        with transaction.atomic():
            made = MeetingRequest.objects.create(
                event_id=sender.event_id,
                sender=sender,
                receiver=receiver,
                message=message[:2000],
                recommended_by=recommended_by,
            )
    except IntegrityError:  # the same request sent twice at once
        raise ValidationError({"receiver": _("You have already asked this participant.")}) from None
    from .participation import party

    requests_page = reverse("web-event-requests", args=[event.pk])
    if recommended_by is not None:  # a broker's recommendation: it says so, in the broker's name
        notify(
            [receiver.user],
            kind=Kind.MEETING_REQUEST,
            subject=gettext_noop("Meeting recommended: %(sender)s"),
            body=gettext_noop(
                "Your broker %(broker)s recommends that you meet %(sender)s at “%(event)s”.\n%(message)s\n"
                "Accept or decline it on the event's Requests page."
            ),
            url=requests_page,
            broker=recommended_by.get_full_name() or recommended_by.username,
            sender=party(sender),
            event=event.title,
            message=message[:2000],
        )
        return made
    notify(
        [receiver.user],
        kind=Kind.MEETING_REQUEST,
        subject=gettext_noop("Meeting request: %(sender)s"),
        body=gettext_noop(
            "%(sender)s asks you for a 1:1 meeting at “%(event)s”.\n%(message)s\n"
            "Accept or decline it on the event's Requests page."
        ),
        url=requests_page,
        sender=party(sender),
        event=event.title,
        message=message[:2000],
    )
    return made


def _cancel_declined_meeting(request: MeetingRequest, user) -> None:
    """A pair scheduled on both sides' pending requests, one of which is now declined: its
    meeting goes, unless the pair still has an accepted request (the agenda and the requests page
    must never disagree)."""
    pair = Q(sender=request.sender_id, receiver=request.receiver_id) | Q(
        sender=request.receiver_id, receiver=request.sender_id
    )
    if MeetingRequest.objects.filter(pair, event=request.event_id, status=RequestStatus.ACCEPTED).exists():
        return
    meetings = Meeting.objects.filter(
        Q(holder=request.sender_id, enterprise=request.receiver_id)
        | Q(holder=request.receiver_id, enterprise=request.sender_id),
        event=request.event_id,
        status=MeetingStatus.SCHEDULED,
    )
    for meeting in meetings:
        cancel_meeting(meeting=meeting, user=user)


@transaction.atomic
def answer_request(*, request, user, accept: bool) -> MeetingRequest:
    locked = (
        MeetingRequest.objects.select_for_update(of=("self",))
        .select_related("receiver", "recommended_by")
        .get(pk=request.pk)
    )
    if locked.receiver.user_id != user.pk:
        raise ValidationError({"request": _("Only the person asked can answer.")})
    if locked.status != RequestStatus.PENDING:
        raise ValidationError({"request": _("This request has already been answered.")})
    locked.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    locked.save(update_fields=["status"])
    if not accept:
        _cancel_declined_meeting(locked, user)
    from .participation import party

    sender = Registration.objects.select_related("user", "event").get(pk=locked.sender_id)
    # the answer goes to whoever asked: the broker who recommended the pair, else the sender
    asked_by = locked.recommended_by if locked.recommended_by_id else sender.user
    notify(
        [asked_by],
        kind=Kind.MEETING_ANSWER,
        subject=gettext_noop("Meeting accepted: %(receiver)s")
        if accept
        else gettext_noop("Meeting declined: %(receiver)s"),
        body=gettext_noop(
            "%(receiver)s accepted your request for a meeting at “%(event)s”: it will be on your agenda once "
            "the organiser schedules the meetings."
        )
        if accept
        else gettext_noop("%(receiver)s declined your request for a meeting at “%(event)s”."),
        url=reverse(
            "web-event-pairs" if locked.recommended_by_id else "web-event-agenda" if accept else "web-event-requests",
            args=[sender.event_id],
        ),
        receiver=party(locked.receiver),
        event=sender.event.title,
    )
    return locked


# On the day ----------------------------------------------------------------------------------------


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
    are both present and free in that slot gets it. Two offers at once wait for each other."""
    MatchmakingEvent.objects.select_for_update().get(pk=event.pk)
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


# Whom to invite ------------------------------------------------------------------------------------


def invite_suggestions(*, event: MatchmakingEvent, viewer, limit: int = 30) -> list[dict]:
    """People worth inviting, from the matching engine: for each registered enterprise, the
    members of the institutions holding its needs' best-matched achievements; for each
    registered holder, the members of the enterprises whose needs match their achievements.
    Only matches whose need and achievement `viewer` may see are used (a "brokers only" need
    or an unpublished achievement is neither shown nor hinted at by its owner's name)."""
    from accounts.models import Role, User
    from matchmaking.selectors import renderable_matches

    registered = list(event.registrations.select_related("user"))
    registered_users = {r.user_id for r in registered}
    enterprises = {r.user.enterprise_id for r in registered if r.side == Side.ENTERPRISE and r.user.enterprise_id}
    institutions = {r.user.institution_id for r in registered if r.side == Side.HOLDER and r.user.institution_id}
    best: dict[tuple[str, int], dict] = {}
    matches = (
        renderable_matches(viewer, Match.objects.filter(rank__isnull=False))
        .filter(Q(need__enterprise_id__in=enterprises) | Q(achievement__institution_id__in=institutions))
        .select_related("need", "achievement")
    )
    for match in matches.order_by("-score")[:2000]:
        if match.need.enterprise_id in enterprises:
            key = ("institution", match.achievement.institution_id)
            reason = {"need": match.need.title, "achievement": match.achievement.title}
        else:
            key = ("enterprise", match.need.enterprise_id)
            reason = {"achievement": match.achievement.title, "need": match.need.title}
        if key not in best or match.score > best[key]["score"]:
            best[key] = {"score": match.score, **reason}
    members = (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.INSTITUTION, institution_id__in=[k[1] for k in best if k[0] == "institution"])
            | Q(role=Role.ENTERPRISE, enterprise_id__in=[k[1] for k in best if k[0] == "enterprise"])
        )
        .exclude(pk__in=registered_users)
        .select_related("institution", "enterprise")
    )
    suggestions = []
    for user in members:
        key = (
            ("institution", user.institution_id)
            if user.role == Role.INSTITUTION
            else ("enterprise", user.enterprise_id)
        )
        organisation = user.institution or user.enterprise
        suggestions.append(
            {
                "user": user.username,
                "organisation": str(organisation),
                "side": Side.HOLDER if user.role == Role.INSTITUTION else Side.ENTERPRISE,
                **best[key],
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], s["user"]))
    return suggestions[:limit]


@transaction.atomic
def answer_survey(
    *, registration: Registration, contract_signed: bool, still_in_contact: bool, comments: str = ""
) -> FollowUpSurvey:
    survey = FollowUpSurvey.objects.select_for_update().filter(registration=registration).first()
    if survey is None:
        raise ValidationError({"survey": _("There is no follow-up survey for you at this event yet.")})
    if survey.answered_at:
        raise ValidationError({"survey": _("You have already answered this survey.")})
    if comments:
        _plain_text(comments, "comments")
    survey.contract_signed, survey.still_in_contact, survey.comments = contract_signed, still_in_contact, comments
    survey.answered_at = timezone.now()
    survey.save()
    return survey


@transaction.atomic
def rate_meeting(*, meeting: Meeting, user, rating: int, outcome: str) -> Meeting:
    """A participant's rating (1-5) and outcome for one of their meetings."""
    from .models import Outcome

    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    locked = Meeting.objects.select_for_update().select_related("holder", "enterprise").get(pk=meeting.pk)
    if locked.starts_at > timezone.now():
        raise ValidationError({"meeting": _("A meeting can be rated once it has started.")})
    if locked.status in (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW):
        raise ValidationError({"meeting": _("This meeting did not take place: there is nothing to rate.")})
    if locked.holder.user_id == user.pk:
        locked.holder_rating, locked.holder_outcome = rating, outcome
    elif locked.enterprise.user_id == user.pk:
        locked.enterprise_rating, locked.enterprise_outcome = rating, outcome
    else:
        raise ValidationError({"meeting": _("Only the two participants rate a meeting.")})
    if locked.status == MeetingStatus.SCHEDULED and locked.starts_at <= timezone.now():
        locked.status = MeetingStatus.HELD
    locked.save()
    return locked


def what_they_bring(meetings, *, viewer) -> dict[int, dict]:
    """For each meeting, the best-matched achievement and need between the two organisations
    that `viewer` may see (one query for all the meetings)."""
    from matchmaking.selectors import renderable_matches

    pairs = {m.pk: (m.holder.user.institution_id, m.enterprise.user.enterprise_id) for m in meetings}
    best: dict[tuple, Match] = {}
    rows = (
        renderable_matches(viewer, Match.objects.all())
        .filter(
            achievement__institution_id__in={i for i, _ in pairs.values()},
            need__enterprise_id__in={e for _, e in pairs.values()},
        )
        .select_related("achievement", "need")
        .order_by("-score")
    )
    for match in rows:
        best.setdefault((match.achievement.institution_id, match.need.enterprise_id), match)
    result = {}
    for meeting_id, pair in pairs.items():
        match = best.get(pair)
        result[meeting_id] = {
            "achievement": match.achievement.title if match else "",
            "need": match.need.title if match else "",
        }
    return result


@transaction.atomic
def confirm_attendance(*, registration: Registration) -> Registration:
    registration.attendance_confirmed = True
    registration.save(update_fields=["attendance_confirmed"])
    return registration


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, user) -> Meeting:
    """A participant or the organiser cancels a scheduled meeting; its table is then free for
    a waiting pair (fill_freed_slots)."""
    MatchmakingEvent.objects.select_for_update().get(pk=meeting.event_id)
    locked = Meeting.objects.select_for_update().select_related("holder", "enterprise", "event").get(pk=meeting.pk)
    if user.pk not in (locked.holder.user_id, locked.enterprise.user_id, locked.event.organiser_id) and not (
        user.is_platform_admin
    ):
        raise ValidationError({"meeting": _("Only the two participants or the organiser cancel a meeting.")})
    if locked.status != MeetingStatus.SCHEDULED:
        raise ValidationError({"meeting": _("Only a scheduled meeting can be cancelled.")})
    locked.status = MeetingStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked
