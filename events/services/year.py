"""Planning a programme's year, accepting its drafts, and moving one event by hand."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.validators import LATEST_DATE

from .. import closed_days, planning
from ..models import (
    EventStatus,
    MatchmakingEvent,
    Programme,
    Room,
    RoomClosure,
)
from .timing import _clock, event_slots


@dataclass
class PlanSummary:
    created: int
    wanted: int
    advice: list


def check_plan_inputs(programme: Programme) -> None:
    """What planning needs before it starts (checked before a job is queued, so the organiser
    hears at once): a room to hold events in, and a theme with events wanted."""
    if not Room.objects.exists():
        raise ValidationError(_("Add a venue with at least one room first."))
    if not programme.themes.exists():
        raise ValidationError(_("Give the programme at least one theme with a wanted number of events."))


def plan_programme(
    *, programme: Programme, actor=None, time_limit: float = 25.0, day_start: int = 9, session_hours: int = 3
) -> PlanSummary:
    """Place the programme's wanted events on the calendar as draft events (replacing earlier
    drafts of this programme); the advice says what to relax when not everything fits."""
    check_plan_inputs(programme)
    rooms = list(Room.objects.all())
    closures = defaultdict(set)
    for closure in RoomClosure.objects.all():
        closures[closure.room_id].add(closure.date)
    themes = list(programme.themes.select_related("field"))
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
