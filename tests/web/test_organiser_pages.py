"""The organiser's event page: registrations, requests, running the scheduler, the grid."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from events.models import MatchmakingEvent, Meeting, MeetingRequest, Registration

from ..factories import at_the_door


@pytest.fixture
def event(world):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    event = MatchmakingEvent.objects.create(
        title="储能成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        meeting_minutes=30,
        tables=2,
        organiser=world.users["organiser"],
        status="open",
    )
    holders = [
        Registration.objects.create(event=event, user=world.users[n], side="holder") for n in ("inst_a", "inst_b")
    ]
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    for holder in holders:
        MeetingRequest.objects.create(event=event, sender=holder, receiver=firm, status="accepted")
    return event


def test_event_page_runs_the_scheduler_and_reports(world, event, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.users["organiser"])
    page = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "储能成果对接会" in page and "甲大学" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organiser/events/{event.pk}/schedule/")
    assert client.get(f"/organiser/events/{event.pk}/schedule/status/").json()["state"] == "done"
    assert Meeting.objects.filter(event=event).count() == 2
    html = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "甲大学 × 甲科技有限公司" in html and "乙研究院 × 甲科技有限公司" in html


def test_the_grid_shows_only_tables_in_use_and_lists_by_slot_print_and_zip(world, event):
    import io
    import zipfile

    event.tables = 40
    event.save()
    holder, firm = event.registrations.get(user=world.users["inst_a"]), event.registrations.get(side="enterprise")
    Meeting.objects.create(event=event, holder=holder, enterprise=firm, slot=1, table=3, starts_at=event.starts_at)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["organiser"])
    page = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "Table 3" in page and "Table 1<" not in page and "Table 40" not in page
    slots = client.get(f"/organiser/events/{event.pk}/?view=slots").content.decode()
    assert "Table 3</strong> · 甲大学 × 甲科技有限公司" in slots
    printable = client.get(f"/organiser/events/{event.pk}/grid/print/").content.decode()
    assert "甲大学 × 甲科技有限公司" in printable and "A4 portrait" in printable
    download = client.get(f"/organiser/events/{event.pk}/agendas.zip")
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(n.rsplit(".", 1)[1] for n in names if "README" not in n) == ["html", "html", "ics", "ics"]
    agenda = zipfile.ZipFile(io.BytesIO(download.content)).read(
        next(n for n in names if "甲大学" in n and n.endswith("html"))
    )
    assert "甲科技有限公司" in agenda.decode()
    # the printed agenda carries each meeting's check-in code too (walk 17 #13): it opens the door's page
    assert agenda.decode().count('<svg viewBox="0 0 ') == 1 and 'class="qr"' in agenda.decode()
    # a rated (held) meeting stays where it took place, marked held (walk 17 #9)
    Meeting.objects.filter(event=event).update(status="held")
    page = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "Table 3" in page and "甲大学 × 甲科技有限公司 (Held)" in page


def test_the_days_figures_are_live_and_freed_tables_go_to_waiting_pairs(world, event):
    holder_a = event.registrations.get(user=world.users["inst_a"])
    holder_b = event.registrations.get(user=world.users["inst_b"])
    firm = event.registrations.get(side="enterprise")
    Meeting.objects.create(event=event, holder=holder_a, enterprise=firm, slot=0, table=1, starts_at=event.starts_at)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["organiser"])
    page = client.get(f"/organiser/events/{event.pk}/").content.decode()
    assert "0 of 3 checked in · 0 absent · 0 meetings freed by no-shows · 1 meeting scheduled" in page
    assert f'data-url="/organiser/events/{event.pk}/on-the-day/"' in page
    early = client.get(f"/organiser/events/{event.pk}/check-in/", {"q": "甲大学"}).content.decode()
    assert "The door opens on the day of the event" in early and 'value="check-in" disabled' in early
    refused = client.post(
        f"/organiser/events/{event.pk}/check-in/", {"registration": holder_a.pk, "action": "no-show"}, follow=True
    ).content.decode()
    assert "The door opens on the day of the event" in refused
    assert Meeting.objects.get(event=event).status == "scheduled"
    # weeks ahead no table is freed yet: no button, and a posted offer is refused with the reason
    assert 'id="offer-freed"' not in page and 'id="offer-freed-closed"' in page
    ahead = client.post(f"/organiser/events/{event.pk}/offer-freed/", follow=True).content.decode()
    assert ahead.count("The door opens on the day of the event") >= 2  # the refusal, and where the button was
    with at_the_door(event, minutes=0):
        assert 'id="offer-freed"' in client.get(f"/organiser/events/{event.pk}/").content.decode()
        client.post(f"/organiser/events/{event.pk}/check-in/", {"registration": firm.pk})
        client.post(f"/organiser/events/{event.pk}/check-in/", {"registration": holder_a.pk, "action": "no-show"})
        live = client.get(f"/organiser/events/{event.pk}/on-the-day/").json()  # before inst_b arrives
        assert {k: live[k] for k in ("registered", "checked_in", "no_show", "freed", "scheduled")} == {
            "registered": 3,
            "checked_in": 1,
            "no_show": 1,
            "freed": 1,
            "scheduled": 0,
        }
        assert live["text"].startswith("1 of 3 checked in · 1 absent · 1 meeting freed by no-shows · 0 meetings")
        assert "1 absent" in client.get(f"/organiser/events/{event.pk}/check-in/").content.decode()
        # marking someone absent frees their meetings: the button asks first (walk 17 #3)
        found = client.get(f"/organiser/events/{event.pk}/check-in/", {"q": "甲大学"}).content.decode()
        assert 'value="no-show"' in found and "onclick=\"return confirm('Mark this participant absent?" in found
        nobody = client.post(f"/organiser/events/{event.pk}/offer-freed/", follow=True).content.decode()
        assert "two people have checked in" in nobody  # inst_b is not at the door yet
        client.post(f"/organiser/events/{event.pk}/check-in/", {"registration": holder_b.pk})
        response = client.post(f"/organiser/events/{event.pk}/offer-freed/", {"next": "check-in"}, follow=True)
        assert response.redirect_chain[-1][0] == f"/organiser/events/{event.pk}/check-in/"
        assert "1 freed table was given to a waiting pair." in response.content.decode()
        assert "table 1: 乙研究院 × 甲科技有限公司" in response.content.decode()
        refilled = Meeting.objects.get(event=event, status="scheduled")
        assert (refilled.holder, refilled.enterprise) == (holder_b, firm)
        again = client.post(f"/organiser/events/{event.pk}/offer-freed/", follow=True).content.decode()
        assert "fits a freed table" in again
        assert Meeting.objects.filter(event=event, status="scheduled").count() == 1


@pytest.mark.parametrize("role", ["ent_a", "broker", "inst_a"])
def test_only_the_organiser_sees_the_event_page(world, event, role):
    client = Client()
    client.force_login(world.users[role])
    assert client.get(f"/organiser/events/{event.pk}/").status_code == 403
    assert client.get(f"/organiser/events/{event.pk}/grid/print/").status_code == 403
    assert client.get(f"/organiser/events/{event.pk}/agendas.zip").status_code == 403
    assert client.post(f"/organiser/events/{event.pk}/schedule/").status_code == 403
    assert client.get(f"/organiser/events/{event.pk}/on-the-day/").status_code == 403
    assert client.post(f"/organiser/events/{event.pk}/offer-freed/").status_code == 403
    assert Meeting.objects.count() == 0


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_organiser_runs_the_scheduler_in_a_real_browser(live_server, page, world, event):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "organiser")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/organiser/events/{event.pk}/")
    page.click("#run-scheduler")
    page.wait_for_selector("#job[data-state=done]")
    assert "2" in page.inner_text("#job")
    assert page.locator("#grid td", has_text="×").count() == 2


def test_organiser_home_lists_their_events(world, event):
    client = Client()
    client.force_login(world.users["organiser"])
    html = client.get("/", follow=True).content.decode()
    assert f"/organiser/events/{event.pk}/" in html and "储能成果对接会" in html
    client.force_login(world.users["ent_a"])
    assert "储能成果对接会" not in client.get("/", follow=True).content.decode()


def test_the_check_in_pages_title_is_text(world, event):
    client = Client()
    client.force_login(world.users["organiser"])
    page = client.get(f"/organiser/events/{event.pk}/check-in/").content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert "<" not in title and "csrfmiddlewaretoken" not in title
