"""An organiser makes one event by hand on the web: every error next to its field, nothing saved
until all is right; the API's POST goes through the same service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import EventStatus, MatchmakingEvent, Programme, Room, RoomClosure, Venue

from .clients import client_for


@pytest.fixture
def room(db):
    return Room.objects.create(venue=Venue.objects.create(name="科创岛"), name="A", capacity=80, tables=10)


def form(room, **changes):
    day = timezone.localdate() + timedelta(days=40)
    data = {
        "title": "储能技术对接会",
        "room": room.pk,
        "day": day.isoformat(),
        "starts": "09:00",
        "ends": "12:00",
        "meeting_minutes": 20,
        "capacity": 60,
        "tables": 10,
        "registration_deadline": (day - timedelta(days=3)).isoformat(),
        "open_now": "on",
    }
    data.update(changes)
    return data


def test_an_organiser_creates_an_open_event_and_lands_on_its_page(world, room):
    client = client_for(world, "organiser")
    assert client.get("/organiser/events/new/").status_code == 200
    response = client.post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/organiser/events/{event.pk}/"
    assert event.status == EventStatus.OPEN and event.organiser == world.users["organiser"]
    assert timezone.localtime(event.starts_at).hour == 9 and timezone.localtime(event.registration_deadline).hour == 23


def test_every_error_shows_at_once_and_nothing_is_saved(world, room):
    page = client_for(world, "organiser").post("/organiser/events/new/", form(room, title="", ends="08:00", capacity=0))
    text = page.content.decode()
    assert page.status_code == 200 and text.count('class="error" role="alert"') == 3
    assert 'value="08:00"' in text and 'value="20"' in text  # what was typed is kept
    assert MatchmakingEvent.objects.count() == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"capacity": 200}, "capacity", "The room holds 80 people."),
        ({"registration_deadline": "2099-01-01"}, "registration_deadline", "Registration must close before"),
        ({"ends": "09:10"}, "ends", ""),  # too short for one 20-minute meeting
    ],
)
def test_the_services_checks_land_next_to_their_field(world, room, changes, field, message):
    page = client_for(world, "organiser").post("/organiser/events/new/", form(room, **changes))
    assert page.status_code == 200 and message in page.content.decode()
    assert MatchmakingEvent.objects.count() == 0


def test_a_closed_room_and_another_organisers_programme_are_refused(world, room):
    day = timezone.localdate() + timedelta(days=40)
    RoomClosure.objects.create(room=room, date=day)
    client = client_for(world, "organiser")
    assert "The room is closed that day." in client.post("/organiser/events/new/", form(room)).content.decode()
    from ..factories import UserFactory

    other = UserFactory(username="organiser2", role="organiser")
    theirs = Programme.objects.create(name="别人的计划", year=day.year, organiser=other)
    page = client.post(
        "/organiser/events/new/", form(room, programme=theirs.pk, day=(day + timedelta(days=1)).isoformat())
    )
    assert page.status_code == 200 and MatchmakingEvent.objects.count() == 0


def test_only_organisers_create_events(world, room):
    for role in ("broker", "ent_a", "inst_a"):
        assert client_for(world, role).post("/organiser/events/new/", form(room)).status_code == 403
    assert MatchmakingEvent.objects.count() == 0
