"""The organiser plans the year from the web: the planner as a job with its advice, the year by
month, accepting the drafts, moving one event by hand with the planner's checks."""

from datetime import date, datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from events.models import MatchmakingEvent, Programme, ProgrammeTheme, PublicHoliday, Room, RoomClosure, Venue

from ..factories import UserFactory, technical_field
from .clients import client_for


@pytest.fixture
def programme(world):
    venue = Venue.objects.create(name="科创岛")
    Room.objects.create(venue=venue, name="A", capacity=80, tables=20)
    Room.objects.create(venue=venue, name="B", capacity=80, tables=10)
    programme = Programme.objects.create(
        name="成果对接", year=2027, organiser=world.users["organiser"], theme_spacing_days=20
    )
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("new-energy"), wanted_events=6)
    ProgrammeTheme.objects.create(programme=programme, field=technical_field("biomedicine"), wanted_events=30)
    return programme


def organiser(world, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users["organiser"])
    return client


def test_planning_the_year_runs_as_a_job_and_shows_the_advice(world, programme, django_capture_on_commit_callbacks):
    client = organiser(world)
    assert "成果对接 · 2027" in client.get("/organiser/programmes/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/organiser/programmes/{programme.pk}/plan/")
    job_page = client.get(response["Location"]).content.decode()
    assert "/organiser/programmes/" in job_page  # where the page goes when the job is done
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    state = client.get(f"/jobs/{job_id}/status/").json()
    assert state["state"] == "done" and state["wanted"] == 36 and state["created"] < 36
    page = client.get(f"/organiser/programmes/{programme.pk}/?job={job_id}").content.decode()
    assert f"Planned {state['created']} of 36 wanted events as drafts." in page
    assert "lower its spacing to" in page  # plain advice, in the organiser's language
    assert "Draft events" in page and "/move/" in page
    drafts = MatchmakingEvent.objects.filter(programme=programme, status="draft").count()
    assert drafts == state["created"]
    # the advice in Chinese for a Chinese organiser
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser(world, "zh-hans").post(f"/organiser/programmes/{programme.pk}/plan/")
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert "间隔" in "".join(client.get(f"/jobs/{job_id}/status/").json()["advice"])


def test_the_calendar_marks_drafts_and_accepting_opens_them(world, programme):
    start = timezone.make_aware(datetime(2027, 3, 3, 9))
    event = MatchmakingEvent.objects.create(
        programme=programme,
        title="储能对接会",
        starts_at=start,
        ends_at=start.replace(hour=12),
        organiser=world.users["organiser"],
        room=Room.objects.get(name="A"),
    )
    client = organiser(world)
    calendar = client.get("/organiser/calendar/?year=2027&month=3").content.decode()
    assert "储能对接会" in calendar and "(Draft)" in calendar
    page = client.get(f"/organiser/programmes/{programme.pk}/").content.decode()
    assert "Accept the 1 draft event" in page
    client.post(f"/organiser/programmes/{programme.pk}/accept/")
    event.refresh_from_db()
    assert event.status == "open"
    assert "(Draft)" not in client.get("/organiser/calendar/?year=2027&month=3").content.decode()


@pytest.mark.parametrize(
    "day, session, room, message",
    [
        ("2027-03-06", 0, "A", "weekend or a public holiday"),
        ("2027-05-03", 0, "A", "weekend or a public holiday"),
        ("2028-03-08", 0, "A", "programme&#x27;s year 2027"),
        ("2027-03-09", 0, "A", "The room is closed that day"),
        ("2027-03-10", 0, "A", "Another event uses the room then"),
        ("2027-03-24", 0, "B", "Another event of the theme is within 20 days"),
    ],
)
def test_moving_an_event_by_hand_gets_the_planners_checks(world, programme, day, session, room, message):
    a, b = Room.objects.get(name="A"), Room.objects.get(name="B")
    PublicHoliday.objects.create(date=date(2027, 5, 3), name="劳动节")
    RoomClosure.objects.create(room=a, date=date(2027, 3, 9))
    start = timezone.make_aware(datetime(2027, 3, 3, 9))
    event = MatchmakingEvent.objects.create(
        programme=programme,
        title="储能对接会",
        starts_at=start,
        ends_at=start.replace(hour=12),
        organiser=world.users["organiser"],
        room=a,
    )
    event.fields.add(technical_field("new-energy"))
    busy = timezone.make_aware(datetime(2027, 3, 10, 9))
    MatchmakingEvent.objects.create(
        title="别的活动", starts_at=busy, ends_at=busy.replace(hour=12), organiser=world.users["organiser"], room=a
    )
    later = timezone.make_aware(datetime(2027, 4, 1, 9))
    same_theme = MatchmakingEvent.objects.create(
        programme=programme,
        title="新能源二",
        starts_at=later,
        ends_at=later.replace(hour=12),
        organiser=world.users["organiser"],
        room=b,
    )
    same_theme.fields.add(technical_field("new-energy"))
    rooms = {"A": a, "B": b}
    client = organiser(world)
    response = client.post(
        f"/organiser/events/{event.pk}/move/", {"day": day, "session": session, "room": rooms[room].pk}
    )
    assert response.status_code == 200 and message in response.content.decode()
    event.refresh_from_db()
    assert event.starts_at == start


def test_a_move_that_passes_the_checks_is_saved(world, programme):
    a, b = Room.objects.get(name="A"), Room.objects.get(name="B")
    start = timezone.make_aware(datetime(2027, 3, 3, 9))
    event = MatchmakingEvent.objects.create(
        programme=programme,
        title="储能成果对接会 03-03",  # as the planner names them
        starts_at=start,
        ends_at=start.replace(hour=12),
        organiser=world.users["organiser"],
        room=a,
    )
    client = organiser(world)
    assert 'value="2027-03-03"' in client.get(f"/organiser/events/{event.pk}/move/").content.decode()
    response = client.post(f"/organiser/events/{event.pk}/move/", {"day": "2027-03-11", "session": 1, "room": b.pk})
    assert response.status_code == 302 and response["Location"] == f"/organiser/events/{event.pk}/"  # walk 18 #13
    assert "Moved: 储能成果对接会 03-11" in client.get(response["Location"]).content.decode()  # the new name
    event.refresh_from_db()
    assert timezone.localtime(event.starts_at) == timezone.make_aware(datetime(2027, 3, 11, 13))
    assert event.room == b and event.tables == 10


@pytest.mark.parametrize("name", ["inst_a", "ent_a", "broker"])
def test_only_the_programmes_organiser_plans_it(world, programme, name):
    client = Client()
    client.force_login(world.users[name])
    assert client.get(f"/organiser/programmes/{programme.pk}/").status_code in (403, 404)
    assert client.post(f"/organiser/programmes/{programme.pk}/plan/").status_code in (403, 404)
    assert client.post(f"/organiser/programmes/{programme.pk}/accept/").status_code in (403, 404)
    other = UserFactory(role=Role.ORGANISER)
    client.force_login(other)
    assert (
        client.get(f"/organiser/programmes/{programme.pk}/").status_code == 404
    )  # another organiser's programme is not theirs to see
    assert MatchmakingEvent.objects.filter(programme=programme).count() == 0


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_organiser_plans_the_year_and_accepts_it_in_a_real_browser(live_server, page, world, programme):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "organiser")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/organiser/programmes/")
    page.click(f"a[href='/organiser/programmes/{programme.pk}/']")
    page.click("#plan-year")
    page.wait_for_url("**/organiser/programmes/*/?job=*", timeout=60_000)  # the job page goes on by itself
    text = page.inner_text("main")
    assert "36" in text and "间隔" in text  # placed of wanted, and the advice, in Chinese
    drafts = MatchmakingEvent.objects.filter(programme=programme, status="draft").count()
    assert drafts > 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/accept/'] button")
    page.wait_for_selector(".messages")
    assert MatchmakingEvent.objects.filter(programme=programme, status="open").count() == drafts


def _programme_post(themes, **fields):
    data = {
        "name": "技术转移周",
        "year": 2028,
        "target_events": 40,
        "daily_cap": 4,
        "organiser_daily_cap": 2,
        "theme_spacing_days": 3,
        "themes-TOTAL_FORMS": len(themes),
        "themes-INITIAL_FORMS": 0,
        "themes-MIN_NUM_FORMS": 0,
        "themes-MAX_NUM_FORMS": 67,
        **fields,
    }
    for k, (field, wanted, attendance) in enumerate(themes):
        data[f"themes-{k}-field"] = field
        data[f"themes-{k}-wanted_events"] = wanted
        data[f"themes-{k}-expected_attendance"] = attendance
    return data


def test_an_organiser_creates_a_programme_with_its_themes_and_changes_them(world):
    client = organiser(world)
    assert "New programme" in client.get("/organiser/programmes/").content.decode()
    form = client.get("/organiser/programmes/new/").content.decode()
    assert 'name="themes-2-field"' in form and "Add a theme" in form
    energy, bio = technical_field("new-energy"), technical_field("biomedicine")
    response = client.post(
        "/organiser/programmes/new/", _programme_post([(energy.pk, 10, 80), (bio.pk, 5, ""), ("", "", 60)])
    )
    programme = Programme.objects.get(name="技术转移周")
    assert response.status_code == 302 and response["Location"] == f"/organiser/programmes/{programme.pk}/"
    assert programme.organiser == world.users["organiser"] and programme.target_events == 40
    assert {(t.field.code, t.wanted_events, t.expected_attendance) for t in programme.themes.all()} == {
        ("new-energy", 10, 80),
        ("biomedicine", 5, 60),
    }
    page = client.get(f"/organiser/programmes/{programme.pk}/").content.decode()
    assert f"/organiser/programmes/{programme.pk}/edit/" in page
    edit = client.get(f"/organiser/programmes/{programme.pk}/edit/").content.decode()
    assert 'value="10"' in edit and "技术转移周" in edit
    # clearing a row's field removes its theme, whatever numbers are left in the row
    data = _programme_post([(bio.pk, 7, 50), ("", 10, 80)], target_events=12)
    data["themes-INITIAL_FORMS"] = 2
    assert client.post(f"/organiser/programmes/{programme.pk}/edit/", data).status_code == 302
    programme.refresh_from_db()
    assert programme.target_events == 12
    assert [(t.field.code, t.wanted_events) for t in programme.themes.all()] == [("biomedicine", 7)]


@pytest.mark.parametrize(
    "themes, fields, message",
    [
        ([], {}, "Give at least one theme"),
        ([("", "", 60)], {}, "Give at least one theme"),
        ([("new-energy", "", 60)], {}, "How many events of this theme?"),
        ([("", 5, 60)], {}, "Give at least one theme"),  # a row without a field is no theme
        ([("new-energy", 5, 60)], {"target_events": 0}, "Aim for at least one event."),
        ([("new-energy", 5, 60), ("new-energy", 3, 60)], {}, "is a theme twice"),
        ([("new-energy", 0, 60)], {}, "greater than or equal to 1"),
        ([("new-energy", 5, 60)], {"year": 1999}, "Give a year from 2000 to 2100."),
        ([("new-energy", 5, 60)], {"daily_cap": 0}, "At least one event a day."),
        ([("new-energy", 5, 60)], {"name": ""}, "This field is required."),
        ([("new-energy", 5, 60)], {"name": "成果对接", "year": 2027}, "You already have a programme of this name"),
    ],
)
def test_a_bad_programme_gets_its_errors_next_to_the_fields_and_nothing_is_saved(
    world, programme, themes, fields, message
):
    themes = [(technical_field(f).pk if f else "", w, a) for f, w, a in themes]
    before = (Programme.objects.count(), ProgrammeTheme.objects.count())
    response = organiser(world).post("/organiser/programmes/new/", _programme_post(themes, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Programme.objects.count(), ProgrammeTheme.objects.count()) == before


def test_every_error_of_a_programme_shows_at_once_and_each_once(world):
    energy = technical_field("new-energy")
    data = _programme_post([(energy.pk, "", 60), (energy.pk, 3, 60)], year=1999, daily_cap=0)
    page = organiser(world).post("/organiser/programmes/new/", data).content.decode()
    for message in ("Give a year from 2000 to 2100.", "At least one event a day.", "How many events of this theme?"):
        assert page.count(message) == 1, message
    twice = _programme_post([(energy.pk, 5, 60), (energy.pk, 3, 60)])
    assert organiser(world).post("/organiser/programmes/new/", twice).content.decode().count("is a theme twice") == 1


def test_the_programme_page_compares_the_themes_with_the_target(world, programme):
    page = organiser(world).get(f"/organiser/programmes/{programme.pk}/").content.decode()
    assert "The themes want 36 events; the programme's target is 400." in page


def test_the_api_refuses_a_field_given_twice_as_a_theme(world, as_user):
    api = as_user("organiser")
    theme = {"field": "new-energy", "wanted_events": 3}
    response = api.post("/api/v1/programmes/", {"name": "重复", "year": 2028, "themes": [theme, theme]}, format="json")
    assert response.status_code == 400 and "两个主题" in str(response.json()["error"]["fields"]["themes"])
    assert not Programme.objects.filter(name="重复").exists()


@pytest.mark.parametrize("name", ["inst_a", "ent_a", "broker"])
def test_only_organisers_create_programmes_and_only_its_own_organiser_changes_one(world, programme, name):
    client = Client()
    client.force_login(world.users[name])
    assert client.get("/organiser/programmes/new/").status_code == 403
    data = _programme_post([(technical_field("new-energy").pk, 5, 60)])
    assert client.post("/organiser/programmes/new/", data).status_code == 403
    assert client.post(f"/organiser/programmes/{programme.pk}/edit/", data).status_code in (403, 404)
    other = UserFactory(role=Role.ORGANISER)
    client.force_login(other)
    assert client.post(f"/organiser/programmes/{programme.pk}/edit/", data).status_code == 404
    programme.refresh_from_db()
    assert programme.name == "成果对接" and programme.themes.count() == 2


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_organiser_creates_a_programme_adding_theme_rows_in_a_real_browser(live_server, page, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "organiser")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/organiser/programmes/")
    page.click("a[href='/organiser/programmes/new/']")
    page.fill("#id_name", "年度成果对接")
    page.fill("#id_year", "2028")
    energy, bio = technical_field("new-energy"), technical_field("biomedicine")
    page.select_option("#id_themes-0-field", str(energy.pk))
    page.fill("#id_themes-0-wanted_events", "8")
    for _ in range(2):
        page.click("#add-theme")
    assert page.locator("#themes .theme-row").count() == 5
    page.select_option("#id_themes-4-field", str(bio.pk))
    page.fill("#id_themes-4-wanted_events", "3")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/organiser/programmes/*/")
    programme = Programme.objects.get(name="年度成果对接")
    assert sorted((t.field.code, t.wanted_events) for t in programme.themes.all()) == [
        ("biomedicine", 3),
        ("new-energy", 8),
    ]
    assert "年度成果对接 · 2028" in page.inner_text("main")


def test_the_planner_keeps_off_the_official_holidays_and_their_bridge_days(world, programme):
    from events import services

    services.plan_programme(programme=programme, time_limit=5)
    days = {timezone.localtime(e.starts_at).date() for e in programme.events.all()}
    assert days
    # 春节 2027 falls on Feb 6-10 (two of them bridge days), 国庆 on Oct 1-5: no event on any of them
    official = {date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10), date(2027, 10, 4), date(2027, 10, 5)}
    assert not days & official and all(day.weekday() < 5 for day in days)


def test_organisers_see_and_edit_the_years_closed_days(world, programme):
    client = organiser(world, "zh-hans")
    page = client.get(f"/organiser/programmes/{programme.pk}/").content.decode()
    assert 'id="closed-days"' in page and "2027-10-01" in page and "国庆节" in page and "春节" in page
    response = client.post(
        f"/organiser/programmes/{programme.pk}/closed-days/", {"date": "2027-06-15", "name": "场馆检修"}, follow=True
    )
    assert PublicHoliday.objects.filter(date=date(2027, 6, 15), name="场馆检修").exists()
    assert "场馆检修" in response.content.decode()
    english = organiser(world)
    for body, message in [
        ({"date": "2027-06-15", "name": "again"}, "That day is already closed."),
        ({"date": "2027-10-01", "name": "x"}, "That day is already an official holiday."),
        ({"date": "2028-01-03", "name": "x"}, "Choose a day in 2027."),
        ({"date": "2027-06-16", "name": ""}, "This field is required."),
        ({"date": "not a day", "name": "x"}, "Enter a valid date."),
    ]:
        page = english.post(f"/organiser/programmes/{programme.pk}/closed-days/", body).content.decode()
        assert message in page, body
    assert PublicHoliday.objects.count() == 1
    holiday = PublicHoliday.objects.get()
    assert client_for(world, "ent_a").post(
        f"/organiser/programmes/{programme.pk}/closed-days/{holiday.pk}/reopen/"
    ).status_code in (403, 404)
    english.post(f"/organiser/programmes/{programme.pk}/closed-days/{holiday.pk}/reopen/")
    assert not PublicHoliday.objects.exists()


def test_a_theme_larger_than_every_room_is_refused_with_the_form(world, programme):
    page = (
        organiser(world)
        .post(
            f"/organiser/programmes/{programme.pk}/edit/",
            {
                "name": "成果对接",
                "year": 2027,
                "target_events": 36,
                "daily_cap": 4,
                "organiser_daily_cap": 2,
                "theme_spacing_days": 20,
                "themes-TOTAL_FORMS": 1,
                "themes-INITIAL_FORMS": 0,
                "themes-0-field": technical_field("new-energy").pk,
                "themes-0-wanted_events": 6,
                "themes-0-expected_attendance": 500,
            },
        )
        .content.decode()
    )
    assert "expects 500 people, but the largest room holds 80." in page
    assert (
        ProgrammeTheme.objects.get(programme=programme, field=technical_field("new-energy")).expected_attendance == 60
    )


def test_an_unknown_holiday_country_fails_the_start_up_check(settings):
    from django.core.checks import run_checks

    settings.EVENTS_HOLIDAY_COUNTRY = "XX"
    assert [e.id for e in run_checks() if e.id.startswith("events.")] == ["events.E001"]
    settings.EVENTS_HOLIDAY_COUNTRY = "CN"
    assert not [e for e in run_checks() if e.id.startswith("events.")]


def test_planning_without_a_room_says_so_at_once_and_queues_nothing(world, monkeypatch):
    from events import jobs

    monkeypatch.setattr(jobs, "start_plan", lambda *a, **k: pytest.fail("a job was queued"))
    empty = Programme.objects.create(name="无场地", year=2027, organiser=world.users["organiser"])
    ProgrammeTheme.objects.create(programme=empty, field=technical_field("new-energy"), wanted_events=3)
    response = organiser(world).post(f"/organiser/programmes/{empty.pk}/plan/", follow=True)
    assert response.redirect_chain[-1][0] == f"/organiser/programmes/{empty.pk}/"
    assert "Add a venue with at least one room first." in response.content.decode()
    assert not MatchmakingEvent.objects.exists()
