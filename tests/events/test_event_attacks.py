"""What an attacker with their own client tried on the events pages and API, kept as tests."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Role
from events import services
from events.door_codes import CHECK_IN_SALT, check_in_code
from events.models import MatchmakingEvent, Meeting, Programme, Registration, Room, Venue

from ..factories import UserFactory


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
        status="open",
    )


def test_a_room_cannot_have_millions_of_tables(world, as_user):
    api = as_user("organiser")
    venue = api.post("/api/v1/venues/", {"name": "科创岛"}, format="json").json()
    response = api.post(
        "/api/v1/rooms/", {"venue": venue["id"], "name": "大厅", "capacity": 1000, "tables": 20_000_000}, format="json"
    )
    assert response.status_code == 400 and "tables" in response.json()["error"]["fields"]
    with pytest.raises(ValidationError):
        Room(venue=Venue.objects.get(), name="大厅", capacity=100, tables=1001).full_clean()


def test_an_organiser_cannot_put_events_into_another_organisers_programme(world, as_user):
    mine = Programme.objects.create(name="成果对接", year=2027, organiser=world.users["organiser"])
    other = UserFactory(username="organiser2", role=Role.ORGANISER)
    api = as_user("organiser")
    api.force_authenticate(other)
    start = timezone.now() + timedelta(days=30)
    response = api.post(
        "/api/v1/events/",
        {
            "programme": mine.pk,
            "title": "组织者2的草稿",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "status": "draft",
            "tables": 10,
        },
        format="json",
    )
    assert response.status_code == 400 and "programme" in response.json()["error"]["fields"]
    assert not mine.events.exists()
    assert api.get(f"/api/v1/programmes/{mine.pk}/").status_code == 404
    assert api.get("/api/v1/programmes/").json()["results"] == []
    client = Client()
    client.force_login(other)
    assert "成果对接" not in client.get("/organiser/programmes/").content.decode()


def test_a_nul_byte_in_a_search_or_a_code_is_no_server_error(world, event, as_user):
    Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    participant = Client()
    participant.force_login(world.users["inst_a"])
    assert participant.get(f"/events/{event.pk}/participants/?q=%00").status_code == 400
    organiser = Client()
    organiser.force_login(world.users["organiser"])
    assert organiser.get(f"/organiser/events/{event.pk}/check-in/?q=%00").status_code == 400
    assert organiser.get("/broker/inbox/?field=%00&district=%00").status_code == 400
    api = as_user("broker").get("/api/v1/achievements/?q=%00")
    assert api.status_code == 400 and api.json()["error"]["code"] == "bad_request"
    response = as_user("organiser").post(
        "/api/v1/programmes/",
        {"name": "n", "year": 2030, "themes": [{"field": "x\u0000", "wanted_events": 1}]},
        format="json",
    )
    assert response.status_code == 400


@translation.override("en")
def test_meetings_are_rated_only_once_held_and_messages_take_no_control_characters(world, event):
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    meeting = Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at
    )
    with pytest.raises(ValidationError, match="once it has started"):
        services.rate_meeting(meeting=meeting, user=world.users["inst_a"], rating=5, outcome="agreement")
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1), status="cancelled")
    with pytest.raises(ValidationError, match="did not take place"):
        services.rate_meeting(meeting=meeting, user=world.users["inst_a"], rating=5, outcome="agreement")
    with pytest.raises(ValidationError, match="control character"):
        services.request_meeting(sender=holder, receiver=firm, message="hello \u202egnp.exe\u001b[2J")


def test_registration_for_an_event_that_is_over_is_refused(world, event):
    event.starts_at = timezone.now() - timedelta(hours=3)
    event.ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    with translation.override("en"), pytest.raises(ValidationError, match="has closed"):
        services.register(event=event, user=world.users["inst_a"])


def test_a_check_in_code_must_name_a_meeting_of_the_event_and_one_of_its_participants(world, event):
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    meeting = Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at
    )
    other = Registration.objects.create(event=event, user=world.users["ent_b"], side="enterprise")
    organiser = Client(HTTP_ACCEPT_LANGUAGE="en")
    organiser.force_login(world.users["organiser"])
    url = f"/organiser/events/{event.pk}/check-in/?code="
    assert "甲大学" in organiser.get(url + check_in_code(meeting, holder)).content.decode()
    not_in_it = signing.dumps({"m": meeting.pk, "r": other.pk}, salt=CHECK_IN_SALT, compress=True)
    assert "not a participant&#x27;s code" in organiser.get(url + not_in_it).content.decode()
    no_meeting = signing.dumps({"m": 999999, "r": holder.pk}, salt=CHECK_IN_SALT, compress=True)
    assert "not a participant&#x27;s code" in organiser.get(url + no_meeting).content.decode()
    odd = signing.dumps([1, 2], salt=CHECK_IN_SALT, compress=True)
    assert organiser.get(url + odd).status_code == 200


def test_zip_entry_names_are_plain_file_names():
    from events.printouts import _file_name

    assert _file_name('0001-"><img src=x>大学\\..\\x:y|z?*') == "0001-___img src=x_大学_.._x_y_z__"
    assert _file_name("\u202e...") == "_"
