from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from events.models import MatchmakingEvent, Meeting, MeetingRequest, Programme, PublicHoliday, Registration

from ..factories import at_the_door


def event_payload(**overrides):
    # 09:00 local ten days ahead: at a fixed hour, so that "a window outside the event" is outside at any time of day
    start = (timezone.localtime() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    payload = {
        "title": "新能源成果对接会",
        "field_codes": ["new-energy"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "meeting_minutes": 30,
        "tables": 3,
        "capacity": 50,
        "status": "open",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def open_event(as_user, world):
    response = as_user("organiser").post("/api/v1/events/", event_payload(), format="json")
    assert response.status_code == 201, response.json()
    return MatchmakingEvent.objects.get(pk=response.json()["id"])


def test_participants_register_request_and_get_scheduled(api, world, open_event):
    def client(name):
        api.force_authenticate(world.users[name])
        return api

    url = f"/api/v1/events/{open_event.pk}/"
    ids = {}
    for name in ("inst_a", "inst_b", "ent_a", "ent_b", "broker"):
        response = client(name).post(url + "register/", {"max_meetings": 3}, format="json")
        assert response.status_code == 201, response.json()
        ids[name] = response.json()["id"]
    assert Registration.objects.get(pk=ids["ent_a"]).side == "enterprise"
    twice = client("ent_a").post(url + "register/", {}, format="json")
    assert twice.status_code == 400

    sent = client("inst_a").post(
        "/api/v1/meeting-requests/", {"receiver": ids["ent_a"], "message": "想聊聊"}, format="json"
    )
    assert sent.status_code == 201
    wrong_person = client("ent_b").post(f"/api/v1/meeting-requests/{sent.json()['id']}/accept/")
    assert wrong_person.status_code == 404  # not theirs to see
    accepted = client("ent_a").post(f"/api/v1/meeting-requests/{sent.json()['id']}/accept/")
    assert accepted.json()["status"] == "accepted"
    recommended = client("broker").post(
        "/api/v1/meeting-requests/", {"sender": ids["inst_b"], "receiver": ids["ent_b"]}, format="json"
    )
    assert recommended.status_code == 201 and recommended.json()["recommended_by"] == world.users["broker"].pk
    same_side = client("inst_a").post("/api/v1/meeting-requests/", {"receiver": ids["inst_b"]}, format="json")
    assert same_side.status_code == 400

    assert client("inst_a").post(url + "schedule/").status_code == 403
    summary = client("organiser").post(url + "schedule/").json()
    assert summary["meetings"] == 2 and summary["optimal"] is True
    assert Meeting.objects.filter(event=open_event).count() == 2

    mine = client("inst_a").get(url + "meetings/").json()
    assert [(m["holder"], m["enterprise"]) for m in mine] == [("inst_a", "ent_a")]
    assert len(client("organiser").get(url + "meetings/").json()) == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"breaks": [["09:00", "10:00"], ["09:30", "10:30"]]}, "breaks"),
        ({"tables": 0}, "tables"),
        ({"breaks": [["nine", "ten"]]}, "breaks"),
        ({"meeting_minutes": 600}, "meeting_minutes"),
    ],
)
def test_bad_event_input_is_refused(as_user, world, change, field):
    payload = event_payload(**change)
    if "breaks" in change and change["breaks"][0][0] == "09:00":
        start = timezone.make_aware(datetime(2030, 1, 7, 9))
        payload.update(starts_at=start.isoformat(), ends_at=(start + timedelta(hours=3)).isoformat())
    response = as_user("organiser").post("/api/v1/events/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"] or response.json()["error"]["message"]
    assert MatchmakingEvent.objects.count() == 0


def test_only_organisers_create_events_and_programmes(as_user, world):
    assert as_user("ent_a").post("/api/v1/events/", event_payload(), format="json").status_code == 403
    programme = {"name": "成果对接", "year": 2027, "themes": [{"field": "new-energy", "wanted_events": 5}]}
    assert as_user("broker").post("/api/v1/programmes/", programme, format="json").status_code == 403
    created = as_user("organiser").post("/api/v1/programmes/", programme, format="json")
    assert created.status_code == 201 and created.json()["themes"][0]["wanted_events"] == 5
    assert Programme.objects.count() == 1
    no_room = as_user("organiser").post(f"/api/v1/programmes/{created.json()['id']}/plan/", HTTP_ACCEPT_LANGUAGE="en")
    assert no_room.status_code == 400 and "room" in no_room.json()["error"]["message"]


def test_availability_outside_the_event_is_refused(as_user, world, open_event):
    response = as_user("inst_a").post(
        f"/api/v1/events/{open_event.pk}/register/", {"availability": [["01:00", "02:00"]]}, format="json"
    )
    assert response.status_code == 400
    assert Registration.objects.count() == 0


def test_draft_events_are_hidden_from_participants(as_user, world):
    as_user("organiser").post("/api/v1/events/", event_payload(status="draft"), format="json")
    assert as_user("ent_a").get("/api/v1/events/").json()["count"] == 0
    assert as_user("organiser").get("/api/v1/events/").json()["count"] == 1
    assert MeetingRequest.objects.count() == 0


def test_agenda_grid_and_the_day(api, world, open_event):
    from io import BytesIO

    from openpyxl import load_workbook

    def client(name):
        api.force_authenticate(world.users[name])
        return api

    url = f"/api/v1/events/{open_event.pk}/"
    ids = {
        name: client(name).post(url + "register/", {"max_meetings": 2}, format="json").json()["id"]
        for name in ("inst_a", "inst_b", "ent_a")
    }
    for holder in ("inst_a", "inst_b"):
        made = client(holder).post("/api/v1/meeting-requests/", {"receiver": ids["ent_a"]}, format="json").json()
        client("ent_a").post(f"/api/v1/meeting-requests/{made['id']}/accept/")
    open_event.tables = 1
    open_event.save()
    client("organiser").post(url + "schedule/")

    ics = client("inst_a").get(url + "agenda/")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    text = ics.content.decode()
    assert text.count("BEGIN:VEVENT") == 1 and "第1桌" in text and "甲科技有限公司" in text
    assert client("ent_b").get(url + "agenda/").status_code == 404

    printable = client("organiser").get(url + "grid/print/").content.decode()
    assert printable.count("×") == 2 and "<table" not in printable  # slot lists that fit A4, not a wide table
    assert client("inst_a").get(url + "grid/print/").status_code == 403
    grid = load_workbook(BytesIO(client("organiser").get(url + "grid/").content)).active
    cells = [c for row in grid.iter_rows(values_only=True) for c in row if c and "×" in str(c)]
    assert len(cells) == 2
    assert client("inst_a").get(url + "grid/").status_code == 403

    early = client("organiser").post(url + "no-show/", {"registration": ids["inst_a"]}, format="json")
    assert early.status_code == 400 and "registration" in early.json()["error"]["fields"]  # weeks ahead: nothing freed
    assert Meeting.objects.get(holder_id=ids["inst_a"]).status == "scheduled"
    with at_the_door(open_event, minutes=0):
        inst_a_meeting = Meeting.objects.get(holder_id=ids["inst_a"])
        assert (
            client("organiser").post(url + "no-show/", {"registration": ids["inst_a"]}, format="json").json()["no_show"]
            is True
        )
        inst_a_meeting.refresh_from_db()
        assert inst_a_meeting.status == "no_show"
        assert (
            client("organiser")
            .post(url + "check-in/", {"registration": ids["ent_a"]}, format="json")
            .json()["checked_in"]
            is True
        )
        assert client("organiser").post(url + "check-in/", {"registration": 99999}, format="json").status_code == 404


def test_printable_agenda_names_partner_and_what_they_bring_and_rating(api, world, open_event):
    from matchmaking import services as matching

    from ..factories import index_everything, make_achievement, make_need

    make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])
    index_everything()
    matching.rematch_needs([need.pk])

    def client(name):
        api.force_authenticate(world.users[name])
        return api

    url = f"/api/v1/events/{open_event.pk}/"
    assert client("inst_a").post(url + "register/", {}, format="json").status_code == 201
    enterprise = client("ent_a").post(url + "register/", {}, format="json").json()["id"]
    made = client("inst_a").post("/api/v1/meeting-requests/", {"receiver": enterprise}, format="json").json()
    client("ent_a").post(f"/api/v1/meeting-requests/{made['id']}/accept/")
    client("organiser").post(url + "schedule/")

    page = client("inst_a").get(url + "agenda/print/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "甲科技有限公司" in html and "寻求固态电池技术" in html
    enterprise_page = client("ent_a").get(url + "agenda/print/").content.decode()
    assert "固态锂电池电解质" in enterprise_page and "甲大学" in enterprise_page

    meeting = Meeting.objects.get()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=30))  # it has begun
    rated = client("ent_a").post(
        f"{url}meetings/{meeting.pk}/rate/", {"rating": 5, "outcome": "follow_up"}, format="json"
    )
    assert rated.status_code == 200 and rated.json()["enterprise_rating"] == 5
    assert client("ent_b").post(
        f"{url}meetings/{meeting.pk}/rate/", {"rating": 1, "outcome": "none"}, format="json"
    ).status_code in (403, 404)
    assert client("inst_a").post(url + "confirm/").json()["attendance_confirmed"] is True
    bad = client("inst_a").post(f"{url}meetings/{meeting.pk}/rate/", {"rating": 9, "outcome": "none"}, format="json")
    assert bad.status_code == 400
    meeting.refresh_from_db()
    assert meeting.holder_rating is None and meeting.enterprise_outcome == "follow_up"


def test_venues_rooms_and_holidays_then_plan_a_programme(as_user, world, django_capture_on_commit_callbacks):
    organiser = as_user("organiser")
    venue = organiser.post("/api/v1/venues/", {"name": "科创岛", "address": "天府大道"}, format="json")
    assert venue.status_code == 201
    room = organiser.post(
        "/api/v1/rooms/",
        {"venue": venue.json()["id"], "name": "一号厅", "capacity": 120, "tables": 30, "closed_dates": ["2027-03-01"]},
        format="json",
    )
    assert room.status_code == 201
    zero = organiser.post(
        "/api/v1/rooms/", {"venue": venue.json()["id"], "name": "二号厅", "capacity": 50, "tables": 0}, format="json"
    )
    assert zero.status_code == 400
    closed = organiser.post("/api/v1/holidays/", {"date": "2027-05-06", "name": "场馆检修"}, format="json")
    assert closed.status_code == 201
    # an official holiday is closed already; a day is closed once (attack 18 F4, F5)
    official = organiser.post("/api/v1/holidays/", {"date": "2027-05-03", "name": "劳动节"}, format="json")
    assert official.status_code == 400 and "date" in official.json()["error"]["fields"]
    twice = organiser.post("/api/v1/holidays/", {"date": "2027-05-06", "name": "again"}, format="json")
    assert twice.status_code == 400
    # only the organiser who closed it (or an admin) opens it again
    from ..factories import UserFactory

    other = UserFactory(role="organiser")
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.force_authenticate(other)
    assert stranger.delete(f"/api/v1/holidays/{closed.json()['id']}/").status_code == 403
    assert PublicHoliday.objects.filter(date="2027-05-06").exists()
    assert stranger.patch(f"/api/v1/holidays/{closed.json()['id']}/", {"name": "x"}, format="json").status_code == 405
    assert (
        as_user("ent_a").post("/api/v1/holidays/", {"date": "2027-06-01", "name": "x"}, format="json").status_code
        == 403
    )
    assert as_user("ent_a").get("/api/v1/venues/").json()["results"][0]["rooms"][0]["name"] == "一号厅"

    programme = (
        as_user("organiser")
        .post(
            "/api/v1/programmes/",
            {
                "name": "科创岛对接",
                "year": 2027,
                "theme_spacing_days": 5,
                "themes": [{"field": "new-energy", "wanted_events": 8}, {"field": "biomedicine", "wanted_events": 8}],
            },
            format="json",
        )
        .json()
    )
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued once the request commits
        queued = as_user("organiser").post(f"/api/v1/programmes/{programme['id']}/plan/")
    assert queued.status_code == 202 and queued["Location"] == f"/api/v1/jobs/{queued.json()['id']}/"
    job = as_user("organiser").get(queued["Location"]).json()  # tasks run in-process here: already done
    assert job["state"] == "done" and job["kind"] == "plan"
    assert {k: job["result"][k] for k in ("created", "wanted", "advice")} == {"created": 16, "wanted": 16, "advice": []}
    assert stranger.get(queued["Location"]).status_code == 404  # nobody else's job
    days = set(MatchmakingEvent.objects.values_list("starts_at__date", flat=True))
    assert not days & {datetime(2027, 3, 1).date(), datetime(2027, 5, 3).date(), datetime(2027, 5, 6).date()}


@pytest.mark.parametrize("role", ["anon", "inst_a", "ent_a", "broker", "organiser_b", "admin"])
def test_only_the_organiser_changes_an_event(api, world, open_event, role):
    from accounts.models import Role

    from ..factories import UserFactory

    users = {**world.users, "organiser_b": UserFactory(role=Role.ORGANISER)}
    api.force_authenticate(None if role == "anon" else users[role])
    url = f"/api/v1/events/{open_event.pk}/"
    before = MatchmakingEvent.objects.values().get(pk=open_event.pk)
    responses = [
        api.patch(url, {"title": "改名"}, format="json"),
        api.post(url + "schedule/"),
        api.get(url + "grid/"),
        api.post(url + "fill-freed-slots/"),
    ]
    expected = {"anon": 401, "admin": 200}.get(role, 403)
    # the admin may, but freed tables are offered only once the event has begun (it is days ahead)
    assert [r.status_code for r in responses] == [expected] * 3 + [400 if expected == 200 else expected]
    if expected != 200:
        assert MatchmakingEvent.objects.values().get(pk=open_event.pk) == before


def test_a_participant_cancels_a_meeting_once(api, world, open_event):
    def client(name):
        api.force_authenticate(world.users[name])
        return api

    url = f"/api/v1/events/{open_event.pk}/"
    client("inst_a").post(url + "register/", {}, format="json")
    enterprise = client("ent_a").post(url + "register/", {}, format="json").json()["id"]
    made = client("inst_a").post("/api/v1/meeting-requests/", {"receiver": enterprise}, format="json").json()
    client("ent_a").post(f"/api/v1/meeting-requests/{made['id']}/accept/")
    client("organiser").post(url + "schedule/")
    meeting = Meeting.objects.get()
    assert client("ent_b").post(f"{url}meetings/{meeting.pk}/cancel/").status_code == 404
    assert client("inst_a").post(f"{url}meetings/{meeting.pk}/cancel/").json()["status"] == "cancelled"
    assert client("inst_a").post(f"{url}meetings/{meeting.pk}/cancel/").status_code == 400


def test_programme_changes_by_its_organiser_only(as_user, world):
    created = (
        as_user("organiser")
        .post(
            "/api/v1/programmes/",
            {"name": "对接", "year": 2027, "themes": [{"field": "new-energy", "wanted_events": 5}]},
            format="json",
        )
        .json()
    )
    url = f"/api/v1/programmes/{created['id']}/"
    changed = as_user("organiser").patch(
        url, {"target_events": 420, "themes": [{"field": "biomedicine", "wanted_events": 9}]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["target_events"] == 420 and changed.json()["themes"][0]["field"] == "biomedicine"
    assert as_user("ent_a").patch(url, {"target_events": 1}, format="json").status_code == 404
    assert Programme.objects.get().target_events == 420


def test_the_api_does_not_move_an_event_people_registered_for(api, world, open_event):
    """Attack 18 F2: PATCH moved a registered event to today (then the door opened early)."""
    api.force_authenticate(world.users["inst_a"])
    api.post(f"/api/v1/events/{open_event.pk}/register/", {"max_meetings": 2}, format="json")
    api.force_authenticate(world.users["organiser"])
    url = f"/api/v1/events/{open_event.pk}/"
    today = timezone.now().replace(microsecond=0)
    moved = api.patch(url, {"starts_at": today.isoformat(), "ends_at": (today + timedelta(hours=3)).isoformat()})
    assert moved.status_code == 400 and "starts_at" in moved.json()["error"]["fields"]
    before = MatchmakingEvent.objects.get(pk=open_event.pk)
    assert before.starts_at == open_event.starts_at
    assert api.patch(url, {"title": "新的名字"}, format="json").status_code == 200  # the rest may change
    assert api.patch(url, {"tables": open_event.tables + 1}, format="json").status_code == 400
    # before anyone registered, an event can move, but not into the past
    Registration.objects.filter(event=open_event).delete()
    past = today - timedelta(days=1)
    body = {"starts_at": past.isoformat(), "ends_at": (past + timedelta(hours=3)).isoformat()}
    assert api.patch(url, body, format="json").status_code == 400
    later = open_event.starts_at + timedelta(days=7)
    body = {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=3)).isoformat()}
    assert api.patch(url, body, format="json").status_code == 200


def test_an_event_is_not_moved_into_another_organisers_programme(as_user, world):
    from ..factories import UserFactory

    other = UserFactory(role="organiser")
    theirs = Programme.objects.create(name="别人的计划", year=2027, organiser=other)
    event = as_user("organiser").post("/api/v1/events/", event_payload(), format="json").json()
    response = as_user("organiser").patch(f"/api/v1/events/{event['id']}/", {"programme": theirs.pk}, format="json")
    assert response.status_code == 400 and "programme" in response.json()["error"]["fields"]
    assert MatchmakingEvent.objects.get(pk=event["id"]).programme_id is None


def test_asking_to_plan_again_while_a_plan_is_under_way_follows_the_same_job(as_user, world):
    from events.models import ProgrammeTheme, Room, Venue

    from ..factories import technical_field

    Room.objects.create(venue=Venue.objects.create(name="科创岛"), name="A", capacity=80, tables=10)
    programme = Programme.objects.create(name="计划", year=2027, organiser=world.users["organiser"])
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("new-energy"), wanted_events=2)
    first = as_user("organiser").post(f"/api/v1/programmes/{programme.pk}/plan/")
    second = as_user("organiser").post(f"/api/v1/programmes/{programme.pk}/plan/")  # the first is still queued
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"] and first.json()["state"] == "queued"
