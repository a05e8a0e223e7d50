"""Placing a programme's events on the year's calendar (CP-SAT).

Events of one kind (same theme, organiser and room size) are interchangeable, so the model
counts them per day instead of naming each one: y[kind, day] = how many of that kind happen on
that day. Constraints: rooms (two sessions a day per open room, large events only in large
enough rooms), public holidays and closed days, at most `daily_cap` events a day and
`organiser_daily_cap` per organiser, and events of one theme at least `theme_spacing` days
apart. Each kind may fall short of its wanted count only through a penalised shortfall, so an
impossible request still gets a plan plus a plain answer naming what to relax and by how much.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

SESSIONS_PER_DAY = 2  # morning and afternoon


class PlanningInputError(ValueError):
    pass


@dataclass(frozen=True)
class Room:
    id: object
    capacity: int
    closed: frozenset = frozenset()  # dates


@dataclass(frozen=True)
class EventKind:
    theme: str
    organiser: object
    attendance: int  # the room must hold this many
    count: int


@dataclass
class PlanRequest:
    start: date
    end: date
    rooms: list
    kinds: list
    holidays: frozenset = frozenset()
    weekdays_only: bool = True
    daily_cap: int = 4
    organiser_daily_cap: int = 2
    theme_spacing: int = 3  # days between two events of one theme
    taken: frozenset = frozenset()  # (room id, date, session) already held by other events
    fixed: tuple = ()  # (theme, organiser, date) of the programme's events already on the calendar
    organiser_names: dict = field(default_factory=dict)  # how the advice names an organiser


@dataclass
class PlannedEvent:
    theme: str
    organiser: object
    day: date
    session: int  # 0 morning, 1 afternoon
    room: object


@dataclass
class Plan:
    events: list
    wanted: int
    placed: int
    seconds: float
    advice: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.placed == self.wanted


def open_days(request: PlanRequest) -> list[date]:
    days, day = [], request.start
    while day <= request.end:
        if day not in request.holidays and not (request.weekdays_only and day.weekday() >= 5):
            days.append(day)
        day += timedelta(days=1)
    return days


def spaced_days(days: list[date], spacing: int) -> int:
    """The most of `days` that can be taken at least `spacing` days apart (taking the earliest
    day each time is optimal on a line)."""
    taken, last = 0, None
    for day in days:
        if last is None or (day - last).days >= spacing:
            taken, last = taken + 1, day
    return taken


def validate(request: PlanRequest) -> None:
    from django.utils.translation import gettext as _

    if request.end < request.start:
        raise PlanningInputError(_("The programme ends before it starts."))
    if not request.rooms:
        raise PlanningInputError(_("Add a venue with at least one room first."))
    if any(room.capacity <= 0 for room in request.rooms):
        raise PlanningInputError(_("Every room needs a capacity above zero."))
    if request.daily_cap < 1 or request.organiser_daily_cap < 1:
        raise PlanningInputError(_("At least one event a day."))
    if request.theme_spacing < 1:
        raise PlanningInputError(_("Events of one theme are at least 1 day apart."))
    if any(kind.count < 0 for kind in request.kinds):
        raise PlanningInputError(_("A wanted event count cannot be negative."))
    too_big = [k for k in request.kinds if k.attendance > max(room.capacity for room in request.rooms)]
    if too_big:
        raise PlanningInputError(too_large_message(too_big[0].theme, too_big[0].attendance, request.rooms))


def too_large_message(theme: str, attendance: int, rooms) -> str:
    from django.utils.translation import gettext as _

    return _("Theme “%(theme)s” expects %(attendance)s people, but the largest room holds %(largest)s.") % {
        "theme": theme,
        "attendance": attendance,
        "largest": max(room.capacity for room in rooms),
    }


def _sessions_fitting(request: PlanRequest, day: date, attendance: int) -> int:
    """Free room sessions on `day` in rooms holding `attendance` people."""
    return sum(
        SESSIONS_PER_DAY - sum((room.id, day, s) in request.taken for s in range(SESSIONS_PER_DAY))
        for room in request.rooms
        if room.capacity >= attendance and day not in room.closed
    )


def advice(request: PlanRequest, days: list[date]) -> list[str]:
    """Necessary conditions, each checked by counting, each with the change that would fix it, in
    the active language (an organiser reads them on the programme's page)."""
    from django.utils.translation import gettext as _

    notes = []
    wanted = sum(k.count for k in request.kinds)
    if not days:
        return [_("There is no open day in the programme: check its dates, weekdays and holidays.")]
    # the programme's events already on the calendar hold places of the caps, rooms and spacing
    fixed_per_day, fixed_per_organiser, fixed_days = defaultdict(int), defaultdict(int), defaultdict(list)
    for theme, organiser, day in request.fixed:
        fixed_per_day[day] += 1
        fixed_per_organiser[organiser, day] += 1
        fixed_days[theme].append(day)
    by_cap = sum(max(request.daily_cap - fixed_per_day[d], 0) for d in days)
    by_rooms = sum(_sessions_fitting(request, d, 0) for d in days)
    if wanted > by_cap:
        notes.append(
            _(
                "%(wanted)s events do not fit under the cap of %(cap)s a day over %(days)s open days "
                "(%(places)s places): raise the daily cap to %(raise_to)s or plan %(fewer)s fewer."
            )
            % {
                "wanted": wanted,
                "cap": request.daily_cap,
                "days": len(days),
                "places": by_cap,
                "raise_to": -(-(wanted + sum(fixed_per_day[d] for d in days)) // len(days)),
                "fewer": wanted - by_cap,
            }
        )
    if wanted > by_rooms:
        notes.append(
            _(
                "%(wanted)s events do not fit in the rooms (%(sessions)s room sessions over %(days)s open days): "
                "add %(room_days)s room-days or plan %(fewer)s fewer."
            )
            % {
                "wanted": wanted,
                "sessions": by_rooms,
                "days": len(days),
                "room_days": -(-(wanted - by_rooms) // SESSIONS_PER_DAY),
                "fewer": wanted - by_rooms,
            }
        )
    by_theme = defaultdict(int)
    by_organiser = defaultdict(int)
    for kind in request.kinds:
        by_theme[kind.theme] += kind.count
        by_organiser[kind.organiser] += kind.count

    def theme_fit(theme, spacing):
        free = [d for d in days if not any(abs((d - f).days) < spacing for f in fixed_days[theme])]
        return spaced_days(free, spacing)

    for theme, count in sorted(by_theme.items()):
        fit = theme_fit(theme, request.theme_spacing)
        if count <= fit:
            continue
        if request.theme_spacing == 1 or theme_fit(theme, 1) < count:
            notes.append(
                _(
                    "Theme “%(theme)s”: %(count)s events do not fit in %(days)s open days even one a day: "
                    "plan %(fewer)s fewer."
                )
                % {"theme": theme, "count": count, "days": len(days), "fewer": count - theme_fit(theme, 1)}
            )
        else:
            lower = max(s for s in range(1, request.theme_spacing) if theme_fit(theme, s) >= count)
            notes.append(
                _(
                    "Theme “%(theme)s”: %(count)s events cannot be %(spacing)s days apart on the %(days)s open days "
                    "(at most %(fit)s): lower its spacing to %(lower)s days or plan %(fewer)s fewer."
                )
                % {
                    "theme": theme,
                    "count": count,
                    "spacing": request.theme_spacing,
                    "days": len(days),
                    "fit": fit,
                    "lower": lower,
                    "fewer": count - fit,
                }
            )
    for organiser, count in sorted(by_organiser.items(), key=lambda item: str(item[0])):
        fit = sum(max(request.organiser_daily_cap - fixed_per_organiser[organiser, d], 0) for d in days)
        if count > fit:
            notes.append(
                _(
                    "Organiser %(organiser)s: %(count)s events exceed %(cap)s a day over %(days)s days: raise "
                    "their daily cap to %(raise_to)s or share events with another organiser."
                )
                % {
                    "organiser": request.organiser_names.get(organiser, organiser),
                    "count": count,
                    "cap": request.organiser_daily_cap,
                    "days": len(days),
                    "raise_to": -(-count // len(days)),
                }
            )
    return notes


def plan(request: PlanRequest, *, time_limit: float = 25.0) -> Plan:
    from django.utils.translation import gettext as _
    from ortools.sat.python import cp_model

    validate(request)
    started = time.perf_counter()
    days = open_days(request)
    wanted = sum(k.count for k in request.kinds)
    notes = advice(request, days)
    if not days or not request.kinds:
        return Plan([], wanted, 0, time.perf_counter() - started, notes)

    model = cp_model.CpModel()
    fixed_per_day, fixed_per_organiser, fixed_days = defaultdict(int), defaultdict(int), defaultdict(list)
    for theme, organiser, day in request.fixed:
        fixed_per_day[day] += 1
        fixed_per_organiser[organiser, day] += 1
        fixed_days[theme].append(day)
    y = {}
    for k, kind in enumerate(request.kinds):
        for d, day in enumerate(days):
            sessions = _sessions_fitting(request, day, kind.attendance)
            room_left = min(
                sessions,
                request.organiser_daily_cap - fixed_per_organiser[kind.organiser, day],
                request.daily_cap - fixed_per_day[day],
            )
            near_fixed = any(abs((day - f).days) < request.theme_spacing for f in fixed_days[kind.theme])
            if room_left > 0 and not near_fixed:
                y[k, d] = model.new_int_var(0, room_left, "")
    shortfall = []
    for k, kind in enumerate(request.kinds):
        placed = sum(y[k, d] for d in range(len(days)) if (k, d) in y)
        short = model.new_int_var(0, kind.count, "")
        model.add(placed + short == kind.count)
        shortfall.append(short)
    per_day = defaultdict(list)
    for (k, d), var in y.items():
        per_day[d].append((k, var))
    thresholds = sorted({kind.attendance for kind in request.kinds})
    for d, entries in per_day.items():
        model.add(sum(var for _, var in entries) <= request.daily_cap - fixed_per_day[days[d]])
        for threshold in thresholds:  # nested room sizes: enough large rooms for large events
            group = [var for k, var in entries if request.kinds[k].attendance >= threshold]
            if group:
                model.add(sum(group) <= _sessions_fitting(request, days[d], threshold))
        by_organiser = defaultdict(list)
        for k, var in entries:
            by_organiser[request.kinds[k].organiser].append(var)
        for organiser, group in by_organiser.items():
            if len(group) > 1:
                model.add(sum(group) <= request.organiser_daily_cap - fixed_per_organiser[organiser, days[d]])
    themes = defaultdict(list)
    for k, kind in enumerate(request.kinds):
        themes[kind.theme].append(k)
    for kinds in themes.values():
        for d, day in enumerate(days):
            window = [
                y[k, e]
                for k in kinds
                for e in range(d, len(days))
                if (days[e] - day).days < request.theme_spacing and (k, e) in y
            ]
            if len(window) > 1:
                model.add(sum(window) <= 1)
    # Spread the year: no week much busier than the average.
    weeks = defaultdict(list)
    for (_kind, d), var in y.items():
        weeks[days[d].isocalendar()[:2]].append(var)
    busiest = model.new_int_var(0, wanted, "")
    for group in weeks.values():
        model.add(sum(group) <= busiest)
    model.minimize(1000 * sum(shortfall) + busiest)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        notes.append(_("No plan was found in the time allowed: relax the constraints above or allow more time."))
        return Plan([], wanted, 0, time.perf_counter() - started, notes)

    events = _rooms_and_sessions(request, days, {key: solver.value(var) for key, var in y.items()})
    for k, kind in enumerate(request.kinds):
        missing = solver.value(shortfall[k])
        if missing and not notes:
            notes.append(
                _(
                    "Theme “%(theme)s”: %(missing)s of %(count)s events found no date under the spacing of "
                    "%(spacing)s days, the daily caps and the rooms already taken: lower the spacing or raise the caps."
                )
                % {"theme": kind.theme, "missing": missing, "count": kind.count, "spacing": request.theme_spacing}
            )
    return Plan(events, wanted, len(events), time.perf_counter() - started, notes)


def _rooms_and_sessions(request: PlanRequest, days: list[date], counts: dict) -> list[PlannedEvent]:
    """Per day, the largest events take the largest free rooms, mornings first."""
    events = []
    by_day = defaultdict(list)
    for (k, d), n in counts.items():
        by_day[d].extend([request.kinds[k]] * n)
    for d, kinds in sorted(by_day.items()):
        day = days[d]
        places = [
            (session, room)
            for session in range(SESSIONS_PER_DAY)
            for room in sorted(request.rooms, key=lambda r: -r.capacity)
            if day not in room.closed and (room.id, day, session) not in request.taken
        ]
        for kind in sorted(kinds, key=lambda k: -k.attendance):
            place = next(p for p in places if p[1].capacity >= kind.attendance)
            places.remove(place)
            events.append(PlannedEvent(kind.theme, kind.organiser, day, place[0], place[1].id))
    return sorted(events, key=lambda e: (e.day, e.session, str(e.room)))
