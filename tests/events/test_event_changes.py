"""Events change after they are scheduled or planned: meetings are cancelled, people do not come,
windows and rooms change, drafts are accepted. Scheduling and planning again must respect what
happened instead of failing or double-booking."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation

from events import jobs, scheduling, services
from events.models import (
    MatchmakingEvent,
    Meeting,
    MeetingRequest,
    Programme,
    ProgrammeTheme,
    Registration,
    Room,
    Venue,
)

from ..factories import at_the_door, technical_field


@pytest.fixture
def event(world):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    return MatchmakingEvent.objects.create(
        title="储能成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        meeting_minutes=30,
        tables=10,
        capacity=50,
        organiser=world.users["organiser"],
        registration_deadline=start - timedelta(days=1),
        status="open",
    )


def _accepted(world, event, holder="inst_a", firm="ent_a"):
    a = Registration.objects.create(event=event, user=world.users[holder], side="holder")
    b = Registration.objects.create(event=event, user=world.users[firm], side="enterprise")
    request = MeetingRequest.objects.create(event=event, sender=a, receiver=b)
    services.answer_request(request=request, user=world.users[firm], accept=True)
    return a, b


def test_rescheduling_after_a_cancelled_meeting_does_not_offer_the_pair_again(world, event):
    _accepted(world, event)
    services.schedule_event(event=event, time_limit=1)
    meeting = Meeting.objects.get(event=event)
    services.cancel_meeting(meeting=meeting, user=world.users["inst_a"])
    summary = services.schedule_event(event=event, time_limit=1)
    assert summary.meetings == 0
    assert list(Meeting.objects.filter(event=event).values_list("status", flat=True)) == ["cancelled"]


def test_rescheduling_after_a_no_show_leaves_the_absent_person_out(world, event):
    holder, firm = _accepted(world, event)
    other_holder, _ = _accepted(world, event, holder="inst_b", firm="ent_b")
    MeetingRequest.objects.create(event=event, sender=other_holder, receiver=firm, status="accepted")
    services.schedule_event(event=event, time_limit=1)
    with at_the_door(event):
        services.record_no_show(registration=firm)
    services.schedule_event(event=event, time_limit=1)
    scheduled = Meeting.objects.filter(event=event, status="scheduled")
    assert not scheduled.filter(enterprise=firm).exists()
    assert scheduled.count() == 1  # inst_b with ent_b, kept


def test_rescheduling_after_a_window_change_moves_the_meeting_into_the_new_window(world, event):
    holder, firm = _accepted(world, event)
    services.schedule_event(event=event, time_limit=1)
    assert Meeting.objects.get(event=event).slot == 0
    start = timezone.localtime(event.starts_at)
    later = [[(start + timedelta(hours=1)).strftime("%H:%M"), (start + timedelta(hours=3)).strftime("%H:%M")]]
    services.update_registration(registration=holder, user=world.users["inst_a"], availability=later)
    services.schedule_event(event=event, time_limit=1)
    meeting = Meeting.objects.get(event=event, status="scheduled")
    assert meeting.slot >= 2 and meeting.starts_at >= event.starts_at + timedelta(hours=1)


def test_kept_meetings_that_no_longer_fit_are_placed_again():
    people = {
        "h": scheduling.Person("h", "holder", 2, frozenset({1})),
        "e": scheduling.Person("e", "enterprise", 2, frozenset({0, 1})),
    }
    problem = scheduling.Problem(2, 2, people, [scheduling.Candidate("h", "e", 1.0)], existing={("h", "e"): (0, 5)})
    schedule = scheduling.solve(problem, time_limit=1)
    [placement] = schedule.placements
    assert (placement.slot, placement.table) == (1, 1)  # h is no longer free in slot 0; there is no table 5
    problem = scheduling.Problem(
        2,
        2,
        {**people, "h": scheduling.Person("h", "holder", 2, frozenset({0, 1}))},
        [scheduling.Candidate("h", "e", 1.0)],
        existing={("h", "e"): (0, 5)},
    )
    [placement] = scheduling.solve(problem, time_limit=1).placements
    assert (placement.slot, placement.table) == (0, 1)  # kept in its slot, at a table the room has


def test_a_scheduler_failure_is_shown_as_failed_not_running(world, event, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "schedule_event", fail)
    with pytest.raises(RuntimeError):
        jobs.run_schedule(event.pk)
    assert jobs.job_state(event.pk)["state"] == "failed"


def test_a_schedule_is_not_written_over_a_change_made_while_it_ran(world, event, monkeypatch):
    holder, firm = _accepted(world, event)
    services.schedule_event(event=event, time_limit=1)
    solve = scheduling.solve

    def solve_while_someone_cancels(problem, **kwargs):
        result = solve(problem, **kwargs)
        Meeting.objects.filter(event=event).update(status="cancelled")
        return result

    monkeypatch.setattr(scheduling, "solve", solve_while_someone_cancels)
    with translation.override("en"), pytest.raises(ValidationError, match="changed while the scheduler ran"):
        services.schedule_event(event=event, time_limit=1)
    assert list(Meeting.objects.filter(event=event).values_list("status", flat=True)) == ["cancelled"]


def test_nobody_can_be_in_two_meetings_in_one_slot(world, event):
    holder, firm = _accepted(world, event)
    other = Registration.objects.create(event=event, user=world.users["ent_b"], side="enterprise")
    Meeting.objects.create(event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(event=event, holder=holder, enterprise=other, slot=0, table=2, starts_at=event.starts_at)


@pytest.fixture
def programme(world):
    venue = Venue.objects.create(name="科创岛")
    Room.objects.create(venue=venue, name="A", capacity=80, tables=20)
    programme = Programme.objects.create(
        name="成果对接", year=timezone.localdate().year + 1, organiser=world.users["organiser"], theme_spacing_days=20
    )
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("new-energy"), wanted_events=6)
    return programme


def _clashes(events):
    return sum(
        1
        for a in events
        for b in events
        if a.pk < b.pk and a.room_id == b.room_id and a.starts_at < b.ends_at and b.starts_at < a.ends_at
    )


def test_planning_again_after_accepting_plans_around_the_confirmed_events(programme):
    first = services.plan_programme(programme=programme, time_limit=5)
    assert first.created == 6
    services.accept_drafts(programme=programme)
    ProgrammeTheme.objects.filter(programme=programme).update(wanted_events=8)
    again = services.plan_programme(programme=programme, time_limit=5)
    events = list(programme.events.all())
    assert again.wanted == 2 and again.created == 2
    assert len(events) == 8 and _clashes(events) == 0
    days = sorted(timezone.localtime(e.starts_at).date() for e in events)
    assert all((b - a).days >= 20 for a, b in zip(days, days[1:], strict=False))  # the theme's spacing holds


def test_planning_leaves_room_sessions_other_events_hold(world, programme):
    room = Room.objects.get(name="A")
    first = services.plan_programme(programme=programme, time_limit=5)
    taken = list(programme.events.all())
    # another programme's confirmed event takes the first planned session
    other = Programme.objects.create(name="其他", year=programme.year, organiser=world.users["organiser"])
    MatchmakingEvent.objects.create(
        programme=other,
        title="占用",
        starts_at=taken[0].starts_at,
        ends_at=taken[0].ends_at,
        room=room,
        organiser=world.users["organiser"],
        status="open",
    )
    services.plan_programme(programme=programme, time_limit=5)
    assert first.created == 6
    assert _clashes(list(MatchmakingEvent.objects.filter(room=room).exclude(status="cancelled"))) == 0


def test_moving_an_event_keeps_its_breaks_room_size_and_an_open_deadline(world, event):
    venue = Venue.objects.create(name="科创岛")
    small = Room.objects.create(venue=venue, name="小会议室", capacity=20, tables=4)
    event.breaks = [["10:30", "10:45"]]
    event.save()
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    event.title = f"储能成果对接会 {timezone.localtime(event.starts_at):%m-%d}"  # as the planner names them
    event.save()
    services.move_event(event=event, day=day, session=1, room=small)
    event.refresh_from_db()
    assert event.title == f"储能成果对接会 {day:%m-%d}"
    assert timezone.localtime(event.starts_at).hour == 13 and event.breaks == [["14:30", "14:45"]]
    assert event.capacity == 20 and event.tables == 4
    assert event.registration_deadline > timezone.now()
    assert Client().get("/").status_code in (200, 302)
    organiser = Client()
    organiser.force_login(world.users["organiser"])
    assert organiser.get(f"/organiser/events/{event.pk}/").status_code == 200
    with translation.override("en"), pytest.raises(ValidationError, match="after today"):
        services.move_event(event=event, day=timezone.localdate(), session=0, room=small)


@translation.override("en")
def test_a_request_back_to_someone_who_asked_is_refused_and_so_is_one_after_the_event(world, event):
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    services.request_meeting(sender=holder, receiver=firm)
    with pytest.raises(ValidationError, match="answer their request"):
        services.request_meeting(sender=firm, receiver=holder)
    event.status = "held"
    event.save()
    other = Registration.objects.create(event=event, user=world.users["ent_b"], side="enterprise")
    with pytest.raises(ValidationError, match="event is over"):
        services.request_meeting(sender=holder, receiver=other)


def test_a_request_and_its_answer_reach_the_other_side_by_e_mail(world, event, django_capture_on_commit_callbacks):
    from django.core import mail

    world.users["ent_a"].email, world.users["ent_a"].language = "ent@example.com", "zh-hans"
    world.users["ent_a"].save()
    world.users["inst_a"].email, world.users["inst_a"].language = "inst@example.com", "en"
    world.users["inst_a"].save()
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_meeting(sender=holder, receiver=firm, message="想交流固态电池")
    [asked] = mail.outbox
    assert asked.to == ["ent@example.com"] and "甲大学" in asked.subject and "想交流固态电池" in asked.body
    assert f"/events/{event.pk}/requests/" in asked.body and "洽谈" in asked.body
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_request(request=request, user=world.users["ent_a"], accept=True)
    answered = mail.outbox[1]
    assert answered.to == ["inst@example.com"] and answered.subject == "Meeting accepted: 甲科技有限公司"


def test_a_brokers_recommendation_says_so_and_its_answer_goes_to_the_broker(
    world, event, django_capture_on_commit_callbacks
):
    from django.core import mail

    for name, address in (("ent_a", "ent@example.com"), ("inst_a", "inst@example.com"), ("broker", "b@example.com")):
        world.users[name].email, world.users[name].language = address, "en"
        world.users[name].save()
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_meeting(
            sender=holder, receiver=firm, message="建议见面", recommended_by=world.users["broker"]
        )
    [recommended] = mail.outbox
    assert recommended.to == ["ent@example.com"] and recommended.subject.startswith("Meeting recommended")
    assert "Your broker broker recommends that you meet 甲大学" in recommended.body
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_request(request=request, user=world.users["ent_a"], accept=False)
    assert mail.outbox[1].to == ["b@example.com"]  # not the institution, which asked nothing


def test_checking_in_someone_marked_absent_by_mistake_gives_their_meetings_back(world, event):
    holder, firm = _accepted(world, event)
    later = event.starts_at + timedelta(minutes=30)
    Meeting.objects.create(event=event, holder=holder, enterprise=firm, slot=1, table=1, starts_at=later)
    with at_the_door(event):
        services.record_no_show(registration=firm)
        assert Meeting.objects.get(event=event).status == "no_show"
        services.check_in(registration=firm)
    assert Meeting.objects.get(event=event).status == "scheduled"


@pytest.mark.parametrize(
    "when, action, message",
    [
        (-timedelta(days=14), "check_in", "The door opens on the day of the event"),
        (-timedelta(days=14), "record_no_show", "The door opens on the day of the event"),
        (-timedelta(hours=1), "record_no_show", "Absences are recorded once the event has begun"),
        (timedelta(days=2), "check_in", "The event is over"),
    ],
)
def test_the_door_is_open_only_on_the_day(world, event, when, action, message):
    import time_machine

    holder, firm = _accepted(world, event)
    Meeting.objects.create(event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at)
    with time_machine.travel(event.starts_at + when, tick=False), translation.override("en"):
        with pytest.raises(ValidationError, match=message):
            getattr(services, action)(registration=firm)
    firm.refresh_from_db()
    assert not firm.checked_in and not firm.no_show
    assert Meeting.objects.get(event=event).status == "scheduled"  # nothing freed weeks ahead
    with time_machine.travel(event.starts_at - timedelta(hours=1), tick=False):
        assert services.check_in(registration=firm).checked_in  # early arrivals on the day are welcome


def test_two_organisers_may_give_their_programmes_the_same_name(world):
    from accounts.models import Role

    from ..factories import UserFactory

    theme = [{"field": technical_field("new-energy"), "wanted_events": 3}]
    from events import programmes

    programmes.create_programme(organiser=world.users["organiser"], themes=theme, name="成果对接", year=2028)
    other = programmes.create_programme(
        organiser=UserFactory(role=Role.ORGANISER), themes=theme, name="成果对接", year=2028
    )
    assert other.pk


def test_declining_a_request_the_pair_was_scheduled_on_cancels_its_meeting(world, event):
    """Walk 17 #4: both sides had asked, nobody had answered, the scheduler placed them; one
    declines, so the meeting must leave the agenda too."""
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    asked = MeetingRequest.objects.create(event=event, sender=holder, receiver=firm)
    MeetingRequest.objects.create(event=event, sender=firm, receiver=holder)
    meeting = Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at
    )
    services.answer_request(request=asked, user=world.users["ent_a"], accept=False)
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"


def test_declining_one_request_of_a_pair_that_accepted_another_keeps_its_meeting(world, event):
    holder, firm = _accepted(world, event)
    second = MeetingRequest.objects.create(event=event, sender=firm, receiver=holder)
    meeting = Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at
    )
    services.answer_request(request=second, user=world.users["inst_a"], accept=False)
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"


def test_an_event_that_has_begun_is_not_scheduled_again(world, event):
    """Attack 18 F6: scheduling on the day placed meetings in slots already over."""
    import time_machine

    _accepted(world, event)
    with time_machine.travel(event.starts_at + timedelta(minutes=40), tick=False), translation.override("en"):
        with pytest.raises(ValidationError, match="The event has begun"):
            services.schedule_event(event=event, time_limit=1)
    assert not Meeting.objects.filter(event=event).exists()
