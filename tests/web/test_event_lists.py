"""Finding one event among a year's hundreds: the organiser's list and the participant's list
filter by words, field, month and status, 25 a page, with a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import MatchmakingEvent, Registration, Room, Venue

from ..factories import technical_field
from .clients import client_for


@pytest.fixture
def year_of_events(world):
    """60 open events from next month on, two a week, alternating two fields and two venues,
    plus 5 past ones and 3 drafts."""
    rooms = [
        Room.objects.create(venue=Venue.objects.create(name=name), name="A", capacity=80, tables=10)
        for name in ("科创岛", "天府国际会议中心")
    ]
    energy, medicine = technical_field("new-energy"), technical_field("biomedicine")
    first = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=30)
    events = []
    for i in range(68):
        start = first - timedelta(days=400 - i) if 60 <= i < 65 else first + timedelta(days=3 * i)
        event = MatchmakingEvent.objects.create(
            title=f"{'储能' if i % 2 else '医药'}成果对接会 {i:02d}",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            organiser=world.users["organiser"],
            room=rooms[i % 2],
            status="draft" if i >= 65 else ("held" if i >= 60 else "open"),
            registration_deadline=start - timedelta(days=1),
        )
        event.fields.add(medicine if i % 2 == 0 else energy)
        events.append(event)
    return events


def test_the_organiser_pages_through_and_filters_their_events(world, year_of_events):
    client = client_for(world, "organiser")
    page = client.get("/organiser/events/").content.decode()
    assert "63 events" in page and "Page 1 of 3" in page  # upcoming: 60 open and 3 drafts, soonest first
    assert page.index("成果对接会 00") < page.index("成果对接会 01")
    assert "成果对接会 60" not in page  # past events are under "Past"
    second = client.get("/organiser/events/?when=upcoming&page=2").content.decode()
    assert "Page 2 of 3" in second and "成果对接会 25" in second and "page=3" in second and "when=upcoming" in second
    assert "5 events" in client.get("/organiser/events/?when=past").content.decode()
    assert "3 events" in client.get("/organiser/events/?status=draft").content.decode()
    energy = client.get(f"/organiser/events/?field={technical_field('new-energy').pk}").content.decode()
    assert "医药成果对接会" not in energy and "储能成果对接会 01" in energy
    by_venue = client.get("/organiser/events/?q=天府").content.decode()
    assert "储能成果对接会 01" in by_venue and "医药成果对接会 00" not in by_venue
    month = timezone.localtime(year_of_events[10].starts_at).strftime("%Y-%m")
    in_month = client.get(f"/organiser/events/?month={month}").content.decode()
    assert "成果对接会 10" in in_month and "成果对接会 40" not in in_month
    bad = client.get("/organiser/events/?month=2027-13&status=nonsense&page=zz")
    assert bad.status_code == 200 and "Give a month as YYYY-MM" in bad.content.decode()
    assert "Select a valid choice" in bad.content.decode()
    for month in ("9999-12", "99999999999999999999-01", "2100-12", "1999-12", "-1-01"):  # attack 18 F1: a 500
        for url in ("/organiser/events/", "/events/"):
            response = client.get(url, {"month": month})
            assert response.status_code == 200, (url, month)
            assert month == "2100-12" or "Give a month" in response.content.decode()
    # another organiser sees none of them; a participant cannot open the page
    other = client_for(world, "inst_a")
    assert other.get("/organiser/events/").status_code == 403


def test_the_organisers_home_is_their_events_the_next_ones_first(world, year_of_events):
    client = client_for(world, "organiser")
    assert client.get("/")["Location"] == "/organiser/events/"
    page = client.get("/organiser/events/").content.decode()
    assert page.index("成果对接会 00") < page.index("成果对接会 09")


def test_participants_find_open_events_by_field_and_month_a_page_at_a_time(world, year_of_events):
    mine = year_of_events[3]
    Registration.objects.create(event=mine, user=world.users["ent_a"], side="enterprise")
    client = client_for(world, "ent_a")
    page = client.get("/events/").content.decode()
    # 60 open events, one of them the participant's own (listed under "My events")
    assert "59 events" in page and "Page 1 of 3" in page and "成果对接会 03" in page
    assert "成果对接会 65" not in page  # drafts are not public
    medicine = client.get(f"/events/?field={technical_field('biomedicine').pk}").content.decode()
    assert "30 events" in medicine and "储能成果对接会" not in medicine.split("Open for registration")[1]
    assert "No open event matches." in client.get("/events/?q=没有这个会").content.decode()
    # an open event whose registration deadline has passed is no longer offered
    MatchmakingEvent.objects.filter(pk=year_of_events[0].pk).update(
        registration_deadline=timezone.now() - timedelta(hours=1)
    )
    assert "58 events" in client.get("/events/").content.decode()


@pytest.mark.parametrize("url, queries", [("/organiser/events/", 6), ("/events/", 9)])
def test_event_lists_read_a_fixed_number_of_queries(world, year_of_events, url, queries):
    client = client_for(world, "organiser" if url != "/events/" else "ent_a")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(captured) == queries, "\n".join(q["sql"] for q in captured.captured_queries)


def test_an_open_event_past_its_deadline_or_its_end_says_so(world, year_of_events):
    event = year_of_events[0]
    assert event.status_label == "Open for registration" or event.status_label == "开放报名"
    MatchmakingEvent.objects.filter(pk=event.pk).update(registration_deadline=timezone.now() - timedelta(hours=1))
    page = client_for(world, "organiser").get("/organiser/events/").content.decode()
    row = page[page.index("成果对接会 00") :].split("</tr>")[0]
    assert "Registration closed" in row
    ended = year_of_events[60]
    MatchmakingEvent.objects.filter(pk=ended.pk).update(status="open")
    page = client_for(world, "organiser").get("/organiser/events/?when=past").content.decode()
    row = page[page.index("成果对接会 60") :].split("</tr>")[0]
    assert "Ended" in row


def test_after_the_event_its_page_says_ended_and_offers_no_changes(world, year_of_events):
    """Walk 18 #5: an ended event read 'Registration closed' and offered changes that failed."""
    import time_machine

    event = year_of_events[2]
    Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    client = client_for(world, "ent_a")
    before = client.get(f"/events/{event.pk}/").content.decode()
    assert "Change my registration" in before
    with time_machine.travel(event.ends_at + timedelta(hours=2), tick=False):
        client = client_for(world, "ent_a")  # a session of that day
        page = client.get(f"/events/{event.pk}/").content.decode()
        assert "Ended" in page and "Registration closed" not in page and "Change my registration" not in page
        other = client_for(world, "ent_b").get(f"/events/{event.pk}/").content.decode()
        assert "This event has ended." in other  # walk 18 #17: not "not open for registration"
        assert "Ask for a meeting" not in client.get(f"/events/{event.pk}/participants/").content.decode()


def test_the_status_filter_finds_what_the_labels_say_and_rooms_are_searched(world, year_of_events):
    """Walk 18: filtering 'Registration closed' found nothing while the table showed such events;
    a room's name was not searched."""
    passed = timezone.now() - timedelta(hours=1)
    MatchmakingEvent.objects.filter(pk=year_of_events[0].pk).update(registration_deadline=passed)
    client = client_for(world, "organiser")
    closed = client.get("/organiser/events/", {"status": "closed"}).content.decode()
    assert ">1 event<" in closed and "成果对接会 00" in closed
    assert "成果对接会 00" not in client.get("/organiser/events/", {"status": "open"}).content.decode()
    Room.objects.filter(pk=year_of_events[0].room_id).update(name="1号厅")
    assert "成果对接会 00" in client.get("/organiser/events/", {"q": "1号厅"}).content.decode()
