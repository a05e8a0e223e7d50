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
    "changes, message",
    [
        ({"capacity": 200}, "The room holds 80 people."),
        ({"tables": 30}, "The room has 10 meeting tables."),
        ({"registration_deadline": "2099-01-01"}, "Registration must close before the event starts."),
        ({"day": "2025-01-10", "registration_deadline": ""}, "Choose a day after today."),
        ({"ends": "09:10"}, "No meeting fits in the event&#x27;s time."),
    ],
)
def test_the_services_checks_land_next_to_their_field(world, room, changes, message):
    page = client_for(world, "organiser").post("/organiser/events/new/", form(room, **changes)).content.decode()
    field = page[page.index('<p class="error" role="alert">') - 900 : page.index('<p class="error" role="alert">')]
    assert message in page and 'class="field invalid"' in field
    assert MatchmakingEvent.objects.count() == 0


def test_a_room_is_not_booked_twice_at_once(world, room):
    client = client_for(world, "organiser")
    assert client.post("/organiser/events/new/", form(room)).status_code == 302
    clash = client.post("/organiser/events/new/", form(room, title="另一场", starts="11:00", ends="13:00"))
    assert "The room is booked then: 储能技术对接会." in clash.content.decode()
    assert MatchmakingEvent.objects.count() == 1


def test_the_apis_changes_pass_the_same_checks(world, room, as_user):
    client_for(world, "organiser").post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    api = as_user("organiser")
    for change, field in (
        ({"capacity": 100_000}, "capacity"),
        ({"tables": 1000}, "tables"),
        ({"registration_deadline": "2099-01-01T00:00:00+08:00"}, "registration_deadline"),
        ({"status": "held"}, "status"),
    ):
        refused = api.patch(f"/api/v1/events/{event.pk}/", change, format="json")
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"], change
    event.refresh_from_db()
    assert (event.capacity, event.tables, event.status) == (60, 10, "open")


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


def test_an_organiser_changes_an_events_title_places_and_tables_on_the_web(world, room):
    client = client_for(world, "organiser")
    client.post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    page = client.get(f"/organiser/events/{event.pk}/edit/").content.decode()
    assert 'value="储能技术对接会"' in page and 'value="60"' in page  # the form shows the event as it is
    response = client.post(
        f"/organiser/events/{event.pk}/edit/", form(room, title="储能与氢能对接会", capacity=70, tables=8)
    )
    assert response.status_code == 302 and response["Location"] == f"/organiser/events/{event.pk}/"
    event.refresh_from_db()
    assert (event.title, event.capacity, event.tables, event.status) == ("储能与氢能对接会", 70, 8, EventStatus.OPEN)
    assert timezone.localtime(event.registration_deadline).hour == 23


def test_changing_an_event_keeps_the_checks_and_the_day_once_people_registered(world, room):
    from events.models import Registration

    client = client_for(world, "organiser")
    client.post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    too_many = client.post(f"/organiser/events/{event.pk}/edit/", form(room, capacity=200))
    assert too_many.status_code == 200 and "The room holds 80 people." in too_many.content.decode()
    Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    later = (timezone.localdate() + timedelta(days=41)).isoformat()
    moved = client.post(f"/organiser/events/{event.pk}/edit/", form(room, day=later, title="改名"))
    assert moved.status_code == 200 and "People have registered" in moved.content.decode()
    event.refresh_from_db()
    assert event.title == "储能技术对接会" and event.capacity == 60  # nothing half-saved


def test_only_the_events_organiser_changes_it(world, room):
    from ..factories import UserFactory

    client_for(world, "organiser").post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    world.users["other"] = UserFactory(role="organiser")
    for name in ("other", "ent_a", "broker"):
        response = client_for(world, name).post(f"/organiser/events/{event.pk}/edit/", form(room, title="被改"))
        assert response.status_code in (403, 404), name
    event.refresh_from_db()
    assert event.title == "储能技术对接会"


def test_a_two_day_event_keeps_its_days_when_its_title_is_changed(world, room):
    client = client_for(world, "organiser")
    client.post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    MatchmakingEvent.objects.filter(pk=event.pk).update(
        ends_at=event.ends_at + timedelta(days=1), starts_at=event.starts_at + timedelta(seconds=30)
    )
    event.refresh_from_db()
    before = (event.starts_at, event.ends_at)
    page = client.get(f"/organiser/events/{event.pk}/edit/").content.decode()
    assert "spans several days" in page
    response = client.post(f"/organiser/events/{event.pk}/edit/", form(room, title="两天的对接会", ends="08:00"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "两天的对接会" and (event.starts_at, event.ends_at) == before


def test_once_people_registered_an_event_does_not_go_back_to_draft_nor_lose_places(world, room, as_user):
    from events.models import Registration

    client_for(world, "organiser").post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    for name in ("ent_a", "inst_a"):
        Registration.objects.create(
            event=event, user=world.users[name], side="enterprise" if name == "ent_a" else "holder"
        )
    api = as_user("organiser")
    draft = api.patch(f"/api/v1/events/{event.pk}/", {"status": "draft"}, format="json")
    assert draft.status_code == 400 and "status" in draft.json()["error"]["fields"]
    fewer = api.patch(f"/api/v1/events/{event.pk}/", {"capacity": 1}, format="json")
    assert fewer.status_code == 400 and "capacity" in fewer.json()["error"]["fields"]
    event.refresh_from_db()
    assert (event.status, event.capacity) == (EventStatus.OPEN, 60)


def test_cancelling_an_event_tells_its_registrants_and_a_cancelled_event_stays_so(world, room, as_user):
    from events.models import Registration
    from notifications.models import Notification

    client_for(world, "organiser").post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    api = as_user("organiser")
    assert api.patch(f"/api/v1/events/{event.pk}/", {"status": "cancelled"}, format="json").status_code == 200
    assert Notification.objects.get(user=world.users["ent_a"]).kind == "event_reminder"
    again = api.patch(f"/api/v1/events/{event.pk}/", {"status": "open"}, format="json")
    assert again.status_code == 400
    assert MatchmakingEvent.objects.get(pk=event.pk).status == EventStatus.CANCELLED


def test_the_organiser_cancels_an_event_on_its_page_and_its_registrants_are_told(world, room):
    from events.models import Registration
    from notifications.models import Notification

    client = client_for(world, "organiser")
    client.post("/organiser/events/new/", form(room))
    event = MatchmakingEvent.objects.get()
    Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    page = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "1 registrant is told" in page and 'id="cancel-event"' in page
    assert client_for(world, "ent_a").post(f"/organiser/events/{event.pk}/cancel/").status_code in (403, 404)
    assert MatchmakingEvent.objects.get(pk=event.pk).status == EventStatus.OPEN
    client.post(f"/organiser/events/{event.pk}/cancel/")
    assert MatchmakingEvent.objects.get(pk=event.pk).status == EventStatus.CANCELLED
    assert Notification.objects.filter(user=world.users["inst_a"], kind="event_reminder").count() == 1
    assert 'id="cancel-event"' not in client.get(f"/organiser/events/{event.pk}/").content.decode()
