from datetime import date

import pytest
from django.utils import translation

from events.planning import EventKind, PlanningInputError, PlanRequest, Room, open_days, plan

THEMES = ["电子信息", "人工智能", "新能源", "生物医药", "航空航天", "轨道交通", "新材料"]
HOLIDAYS = frozenset({date(2027, 1, 1), date(2027, 5, 1), date(2027, 10, 1)})


def request(**overrides):
    rooms = [Room("small-1", 60), Room("small-2", 60, closed=frozenset({date(2027, 3, 3)})), Room("hall", 200)]
    kinds = [EventKind(theme, f"org{i % 3}", 150 if i == 0 else 40, 12) for i, theme in enumerate(THEMES)]
    values = {
        "start": date(2027, 1, 1),
        "end": date(2027, 12, 31),
        "rooms": rooms,
        "kinds": kinds,
        "holidays": HOLIDAYS,
        "theme_spacing": 7,
        "daily_cap": 2,
        "organiser_daily_cap": 1,
    }
    values.update(overrides)
    return PlanRequest(**values)


def test_plan_places_every_event_respecting_all_rules():
    req = request()
    result = plan(req, time_limit=20)
    assert result.complete and result.placed == 84 and result.advice == []
    days = set(open_days(req))
    rooms = {room.id: room for room in req.rooms}
    booked = set()
    for event in result.events:
        assert event.day in days and event.day.weekday() < 5 and event.day not in HOLIDAYS
        assert event.day not in rooms[event.room].closed
        assert (event.day, event.session, event.room) not in booked  # no room double-booked
        booked.add((event.day, event.session, event.room))
    per_day = {}
    for event in result.events:
        per_day.setdefault(event.day, []).append(event)
    assert max(len(v) for v in per_day.values()) <= 2
    for events in per_day.values():
        organisers = [e.organiser for e in events]
        assert len(organisers) == len(set(organisers))
    for theme in THEMES:
        dates = sorted(e.day for e in result.events if e.theme == theme)
        assert all((b - a).days >= 7 for a, b in zip(dates, dates[1:], strict=False))
    big = [e for e in result.events if e.theme == "电子信息"]
    assert all(e.room == "hall" for e in big)  # 150 people only fit in the hall


@translation.override("en")
def test_impossible_request_gets_plain_advice_with_amounts():
    result = plan(request(theme_spacing=40, daily_cap=1), time_limit=10)
    assert not result.complete
    text = "\n".join(result.advice)
    # weekends and holidays push each next event later: 9 fit 40 days apart, not 365 // 40 + 1
    assert "(at most 9): lower its spacing to 32 days or plan 3 fewer" in text
    assert result.placed == len(result.events) < result.wanted


@translation.override("en")
def test_the_advices_limit_is_what_the_planner_reaches_and_its_fix_works():
    one = [EventKind("新能源", "org0", 40, 12)]
    tight = plan(request(kinds=one, theme_spacing=40), time_limit=10)
    assert tight.placed == 9 and "(at most 9)" in "\n".join(tight.advice)
    relaxed = plan(request(kinds=one, theme_spacing=32), time_limit=10)
    assert relaxed.complete and relaxed.advice == []


@translation.override("en")
def test_not_enough_days_for_the_daily_cap():
    result = plan(request(start=date(2027, 3, 1), end=date(2027, 3, 31), theme_spacing=1), time_limit=10)
    assert any("raise the daily cap to" in note for note in result.advice)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"end": date(2026, 1, 1)}, "ends before it starts"),
        ({"rooms": []}, "at least one room"),
        ({"rooms": [Room("x", 0)]}, "capacity above zero"),
        ({"daily_cap": 0}, "At least one event a day"),
        ({"kinds": [EventKind("新能源", "org", 500, 1)]}, "expects 500 people, but the largest room holds 200"),
    ],
)
@translation.override("en")
def test_bad_planning_input(change, message):
    with pytest.raises(PlanningInputError, match=message):
        plan(request(**change), time_limit=1)


@translation.override("en")
def test_advice_counts_the_events_already_on_the_calendar():
    """Walk 18 #3: with events confirmed, 'plan N fewer' still did not fit."""
    one = [EventKind("新能源", "org0", 40, 10)]
    fixed = tuple(("新能源", "org0", day) for day in (date(2027, 3, 1), date(2027, 6, 1), date(2027, 9, 1)))
    req = request(kinds=one, theme_spacing=40, fixed=fixed)
    result = plan(req, time_limit=10)
    text = "\n".join(result.advice)
    fit = int(text.split("(at most ")[1].split(")")[0])
    assert result.placed == fit < 10  # the advice's limit is what the planner reaches around them
    fewer = int(text.split("or plan ")[1].split(" fewer")[0])
    again = plan(
        request(kinds=[EventKind("新能源", "org0", 40, 10 - fewer)], theme_spacing=40, fixed=fixed), time_limit=10
    )
    assert again.complete and again.advice == []  # following it, everything fits
