from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts.models import Role
from events import services
from events.models import (
    MatchmakingEvent,
    Meeting,
    MeetingRequest,
    Programme,
    ProgrammeTheme,
    PublicHoliday,
    Registration,
    Room,
    Venue,
)

from ..factories import UserFactory, at_the_door, index_everything, technical_field


def at(hour, minute=0):
    return timezone.make_aware(datetime(2027, 4, 8, hour, minute))


@pytest.fixture
def event(world):
    return MatchmakingEvent.objects.create(
        title="新能源成果对接会",
        starts_at=at(9),
        ends_at=at(12),
        meeting_minutes=30,
        breaks=[["10:30", "11:00"]],
        tables=2,
        organiser=world.users["organiser"],
    )


def register(event, user, side, **fields):
    return Registration.objects.create(event=event, user=user, side=side, **fields)


@translation.override("en")
def test_slots_skip_breaks_and_bad_windows_are_refused(event):
    slots = services.event_slots(event)
    assert [timezone.localtime(s).strftime("%H:%M") for s in slots] == ["09:00", "09:30", "10:00", "11:00", "11:30"]
    event.breaks = [["08:00", "09:30"]]
    with pytest.raises(ValidationError, match="outside the event"):
        services.event_slots(event)
    event.breaks = [["09:00", "10:00"], ["09:30", "10:30"]]
    with pytest.raises(ValidationError, match="overlap"):
        services.event_slots(event)
    event.breaks = [["nine", "ten"]]
    with pytest.raises(ValidationError, match="HH:MM"):
        services.event_slots(event)


def test_schedule_event_places_requested_meetings_by_priority(world, event):
    holder_a = register(event, world.users["inst_a"], "holder", availability=[["09:00", "10:30"]])
    holder_b = register(event, world.users["inst_b"], "holder", max_meetings=1)
    enterprise_a = register(event, world.users["ent_a"], "enterprise")
    enterprise_b = register(event, world.users["ent_b"], "enterprise")
    MeetingRequest.objects.create(event=event, sender=holder_a, receiver=enterprise_a)
    MeetingRequest.objects.create(event=event, sender=enterprise_a, receiver=holder_a)  # mutual
    MeetingRequest.objects.create(event=event, sender=holder_b, receiver=enterprise_b, status="accepted")
    MeetingRequest.objects.create(event=event, sender=holder_b, receiver=enterprise_a)  # pending: not scheduled
    MeetingRequest.objects.create(
        event=event, sender=holder_a, receiver=enterprise_b, recommended_by=world.users["broker"]
    )

    summary = services.schedule_event(event=event, time_limit=5)

    meetings = {(m.holder_id, m.enterprise_id): m for m in Meeting.objects.filter(event=event)}
    assert set(meetings) == {
        (holder_a.pk, enterprise_a.pk),
        (holder_b.pk, enterprise_b.pk),
        (holder_a.pk, enterprise_b.pk),
    }
    assert summary.optimal and summary.meetings == 3
    assert meetings[(holder_a.pk, enterprise_a.pk)].value > meetings[(holder_b.pk, enterprise_b.pk)].value
    assert all(m.slot <= 2 for (h, _), m in meetings.items() if h == holder_a.pk)  # available until 10:30

    again = services.schedule_event(event=event, time_limit=5)
    assert again.moved == 0 and Meeting.objects.filter(event=event).count() == 3


def test_no_shows_lower_priority(world, event):
    earlier = MatchmakingEvent.objects.create(
        title="上次",
        starts_at=at(9) - timedelta(days=30),
        ends_at=at(12) - timedelta(days=30),
        organiser=world.users["organiser"],
    )
    register(earlier, world.users["inst_b"], "holder", no_show=True)
    holder_a = register(event, world.users["inst_a"], "holder")
    holder_b = register(event, world.users["inst_b"], "holder")
    enterprise = register(event, world.users["ent_a"], "enterprise", max_meetings=1)
    for holder in (holder_a, holder_b):
        MeetingRequest.objects.create(event=event, sender=holder, receiver=enterprise, status="accepted")
    services.schedule_event(event=event, time_limit=5)
    assert [m.holder_id for m in Meeting.objects.filter(event=event)] == [holder_a.pk]


def test_plan_programme_creates_draft_events_and_advice(world):
    organiser = UserFactory(role=Role.ORGANISER)
    venue = Venue.objects.create(name="科创岛")
    Room.objects.create(venue=venue, name="A", capacity=80, tables=20)
    PublicHoliday.objects.create(date=datetime(2027, 5, 3).date(), name="劳动节")
    programme = Programme.objects.create(name="成果对接", year=2027, organiser=organiser, theme_spacing_days=20)
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("new-energy"), wanted_events=10)
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("biomedicine"), wanted_events=30)

    summary = services.plan_programme(programme=programme, time_limit=10)

    events = MatchmakingEvent.objects.filter(programme=programme)
    assert summary.wanted == 40 and summary.created == events.count() < 40
    assert any("生物医药" in note for note in summary.advice)
    assert not events.filter(starts_at__date=datetime(2027, 5, 3).date()).exists()
    assert events.filter(fields__code="new-energy").count() == 10
    assert all(e.status == "draft" and e.room.name == "A" for e in events)


def test_freed_slots_go_to_waiting_pairs(world):
    start = timezone.now().replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
    start = timezone.localtime(start).replace(hour=9)
    event = MatchmakingEvent.objects.create(
        title="明天的对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        meeting_minutes=30,
        tables=1,
        organiser=world.users["organiser"],
    )
    holder_a = register(event, world.users["inst_a"], "holder")
    holder_b = register(event, world.users["inst_b"], "holder")
    enterprise = register(event, world.users["ent_a"], "enterprise", max_meetings=1)
    MeetingRequest.objects.create(event=event, sender=holder_a, receiver=enterprise, status="accepted")
    MeetingRequest.objects.create(event=event, sender=enterprise, receiver=holder_a)  # mutual: scheduled first
    MeetingRequest.objects.create(event=event, sender=holder_b, receiver=enterprise, status="accepted")
    services.schedule_event(event=event, time_limit=5)
    assert [m.holder_id for m in Meeting.objects.filter(event=event)] == [holder_a.pk]

    with at_the_door(event, minutes=0):
        assert services.record_no_show(registration=holder_a) == 1
        assert services.fill_freed_slots(event=event) == []  # nobody has checked in yet
        services.check_in(registration=holder_b)
        services.check_in(registration=enterprise)
        created = services.fill_freed_slots(event=event)

        assert [(m.holder_id, m.enterprise_id) for m in created] == [(holder_b.pk, enterprise.pk)]
        assert services.fill_freed_slots(event=event) == []  # nothing twice


def test_invite_suggestions_come_from_matches(world, event):
    from matchmaking import services as matching

    from ..factories import make_achievement, make_need

    achievement = make_achievement(world.inst_b, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])
    index_everything()
    matching.rematch_needs([need.pk])
    register(event, world.users["ent_a"], "enterprise")

    suggestions = services.invite_suggestions(event=event, viewer=world.users["organiser"])

    assert [(s["user"], s["side"], s["achievement"]) for s in suggestions] == [("inst_b", "holder", achievement.title)]
    assert suggestions[0]["need"] == need.title and 0 < suggestions[0]["score"] <= 1


def test_commands_plan_and_schedule(world, event, capsys):
    from django.core.management import CommandError, call_command

    venue = Venue.objects.create(name="科创岛")
    Room.objects.create(venue=venue, name="A", capacity=80, tables=20)
    programme = Programme.objects.create(name="对接", year=2027, organiser=world.users["organiser"])
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("new-energy"), wanted_events=3)
    call_command("plan_programme", programme.pk, "--time-limit", "5")
    assert "3 of 3 events placed." in capsys.readouterr().out
    holder = register(event, world.users["inst_a"], "holder")
    enterprise = register(event, world.users["ent_a"], "enterprise")
    MeetingRequest.objects.create(event=event, sender=holder, receiver=enterprise, status="accepted")
    call_command("schedule_event", event.pk, "--time-limit", "5")
    out = capsys.readouterr().out
    assert "1 meetings, value" in out and "proven optimal" in out and "0 moved" in out
    with pytest.raises(CommandError, match="No event"):
        call_command("schedule_event", 999999)
