"""The participants' event pages: the event, registration with what one brings, whom to meet,
requests, the personal agenda with its QR codes, ratings, the survey; and who may see what."""

from datetime import UTC, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from events.models import FollowUpSurvey, MatchmakingEvent, Meeting, MeetingRequest, Registration

from ..factories import at_the_door, make_achievement, make_need
from .clients import client_for


@pytest.fixture
def event(world):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    return MatchmakingEvent.objects.create(
        title="储能成果对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        meeting_minutes=30,
        tables=3,
        capacity=10,
        organiser=world.users["organiser"],
        registration_deadline=start - timedelta(days=1),
        status="open",
    )


def test_an_institution_registers_with_windows_and_what_it_brings(world, event):
    mine = make_achievement(world.inst_a, title="固态电池电解质")
    make_achievement(world.inst_a, title="未发布成果", status="draft")
    theirs = make_achievement(world.inst_b, title="别人的成果")
    client = client_for(world, "inst_a")
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "储能成果对接会" in page and f'href="/events/{event.pk}/register/"' in page
    form = client.get(f"/events/{event.pk}/register/").content.decode()
    assert "固态电池电解质" in form and "未发布成果" not in form and "别人的成果" not in form
    response = client.post(
        f"/events/{event.pk}/register/",
        {"max_meetings": 4, "from_1": "09:00", "until_1": "10:30", "brings": [mine.pk]},
    )
    assert response.status_code == 302
    registration = Registration.objects.get(event=event, user=world.users["inst_a"])
    assert registration.availability == [["09:00", "10:30"]] and registration.max_meetings == 4
    assert list(registration.achievements.all()) == [mine]
    # someone else's achievement cannot be brought, even by a forged form
    response = client.post(f"/events/{event.pk}/register/", {"max_meetings": 4, "brings": [theirs.pk]})
    assert response.status_code == 200
    assert list(registration.achievements.all()) == [mine]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"max_meetings": 4, "from_1": "07:00", "until_1": "08:00"}, "outside the event"),
        ({"max_meetings": 4, "from_1": "10:00", "until_1": "09:30"}, "end after it starts"),
        ({"max_meetings": 4, "from_1": "10:00"}, "Give both the start and the end"),
        ({"max_meetings": 0}, "greater than or equal to 1"),
        ({"max_meetings": 4, "from_1": "09:00", "until_1": "10:00", "from_2": "09:30", "until_2": "11:00"}, "overlap"),
    ],
)
def test_bad_registrations_get_a_clear_error_next_to_the_form(world, event, data, message):
    client = client_for(world, "inst_a")
    response = client.post(f"/events/{event.pk}/register/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Registration.objects.filter(event=event, user=world.users["inst_a"]).exists()


def test_registration_after_the_deadline_is_refused_in_the_participants_language(world, event):
    event.registration_deadline = timezone.now() - timedelta(hours=1)
    event.save()
    client = client_for(world, "ent_a", "zh-hans")
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert f'href="/events/{event.pk}/register/"' not in page
    assert client.get(f"/events/{event.pk}/register/").status_code == 302  # no form to fill in for nothing
    response = client.post(f"/events/{event.pk}/register/", {"max_meetings": 3}, follow=True)
    assert "报名已截止" in response.content.decode()
    with translation.override("zh-hans"):
        assert translation.gettext("Registration for this event has closed.") in response.content.decode()
    assert not Registration.objects.filter(event=event).exists()


@pytest.fixture
def registered(world, event):
    achievement = make_achievement(world.inst_a, title="固态电池电解质")
    public = make_need(world.ent_a, title="储能电池热管理")
    secret = make_need(world.ent_b, title="机密需求", confidentiality="brokers")
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    holder.achievements.set([achievement])
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    firm.needs.set([public])
    other = Registration.objects.create(event=event, user=world.users["ent_b"], side="enterprise")
    other.needs.set([secret])
    return {"holder": holder, "firm": firm, "other": other, "secret": secret}


def test_new_windows_that_leave_a_scheduled_meeting_outside_say_so(world, event, registered):
    """Walk 17 #5: the 09:00 meeting stayed on the agenda with no word after the windows moved."""
    from events.models import Meeting

    Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
    )
    client = client_for(world, "inst_a")
    data = {"max_meetings": 4, "from_1": "10:00", "until_1": "12:00"}
    page = client.post(f"/events/{event.pk}/register/", data, follow=True).content.decode()
    assert "Your meeting at 09:00 is outside your new times" in page
    # the organiser's page says so too, naming who moved (they run the scheduler, not the participant)
    organiser = client_for(world, "organiser").get(f"/organiser/events/{event.pk}/").content.decode()
    assert 'id="outside-windows"' in organiser and "1 scheduled meeting lies outside the times" in organiser
    assert "09:00 · Table 1 · 甲大学" in organiser
    data = {"max_meetings": 4, "from_1": "09:00", "until_1": "12:00"}
    page = client.post(f"/events/{event.pk}/register/", data, follow=True).content.decode()
    assert "outside your new times" not in page
    assert (
        'id="outside-windows"'
        not in client_for(world, "organiser").get(f"/organiser/events/{event.pk}/").content.decode()
    )


def test_the_catalogue_shows_the_other_side_and_what_each_brings_that_the_viewer_may_see(world, event, registered):
    page = client_for(world, "inst_a").get(f"/events/{event.pk}/participants/").content.decode()
    assert "甲科技有限公司" in page and "乙制造有限公司" in page  # both enterprises
    assert "储能电池热管理" in page
    assert "机密需求" not in page  # a brokers-only need stays hidden from an institution
    assert "甲大学" not in page.split('<main id="main" tabindex="-1">')[1]  # not its own side
    firm_page = client_for(world, "ent_a").get(f"/events/{event.pk}/participants/").content.decode()
    assert "固态电池电解质" in firm_page
    filtered = client_for(world, "inst_a").get(f"/events/{event.pk}/participants/?q=热管理").content.decode()
    assert "甲科技有限公司" in filtered and "乙制造有限公司" not in filtered


def test_the_catalogue_filters_by_the_field_of_what_each_brings_and_by_worth_meeting(world, event, registered):
    from matchmaking.models import Match

    other_need = make_need(world.ent_b, title="生物医药需求", field_code="biomedicine")
    hidden = make_need(
        world.ent_b, title="机密人工智能需求", field_code="artificial-intelligence", confidentiality="brokers"
    )
    registered["other"].needs.add(other_need, hidden)
    client = client_for(world, "inst_a")
    page = client.get(f"/events/{event.pk}/participants/").content.decode()
    assert 'name="field"' in page and 'value="biomedicine"' in page and 'value="new-energy"' in page
    energy = client.get(f"/events/{event.pk}/participants/?field=new-energy").content.decode()
    assert "甲科技有限公司" in energy and "乙制造有限公司" not in energy
    bio = client.get(f"/events/{event.pk}/participants/?field=biomedicine").content.decode()
    assert "乙制造有限公司" in bio and "甲科技有限公司" not in bio
    # a field only the hidden need has is not offered, and an unknown one is ignored
    assert "All fields" in client.get(f"/events/{event.pk}/participants/?field=nonsense").content.decode()
    assert 'value="artificial-intelligence"' not in page  # the field of a need the viewer may not see is not offered
    nobody = client.get(f"/events/{event.pk}/participants/?worth=1").content.decode()
    assert nobody.count('class="card participant"') == 0
    Match.objects.create(
        achievement=registered["holder"].achievements.get(), need=registered["firm"].needs.get(), score=0.8
    )
    worth = client.get(f"/events/{event.pk}/participants/?worth=1").content.decode()
    assert "甲科技有限公司" in worth and "乙制造有限公司" not in worth and "Worth meeting" in worth


def test_meeting_requests_are_sent_answered_and_refused_twice(world, event, registered):
    client = client_for(world, "inst_a")
    response = client.post(
        f"/events/{event.pk}/participants/{registered['firm'].pk}/request/", {"message": "想交流热管理"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#participant-{registered['firm'].pk}")
    request = MeetingRequest.objects.get(sender=registered["holder"], receiver=registered["firm"])
    assert "Request sent, waiting" in client.get(f"/events/{event.pk}/participants/").content.decode()
    again = client.post(f"/events/{event.pk}/participants/{registered['firm'].pk}/request/", {}, follow=True)
    assert "already asked" in again.content.decode()
    assert MeetingRequest.objects.filter(sender=registered["holder"]).count() == 1
    # the enterprise sees it with the message and what the institution brings, and accepts
    firm = client_for(world, "ent_a")
    page = firm.get(f"/events/{event.pk}/requests/").content.decode()
    assert "想交流热管理" in page and "固态电池电解质" in page and "甲大学" in page
    firm.post(f"/events/{event.pk}/requests/{request.pk}/answer/", {"answer": "accept"})
    request.refresh_from_db()
    assert request.status == "accepted"
    twice = firm.post(f"/events/{event.pk}/requests/{request.pk}/answer/", {"answer": "decline"}, follow=True)
    assert "already been answered" in twice.content.decode()
    request.refresh_from_db()
    assert request.status == "accepted"
    # the sender cannot answer its own request
    assert client.post(f"/events/{event.pk}/requests/{request.pk}/answer/", {"answer": "accept"}).status_code == 404


def test_a_request_to_someone_not_registered_is_refused(world, event, registered):
    other_event = MatchmakingEvent.objects.create(
        title="别的活动",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        organiser=world.users["organiser"],
        status="open",
    )
    stranger = Registration.objects.create(event=other_event, user=world.users["inst_b"], side="holder")
    client = client_for(world, "ent_a")
    response = client.post(f"/events/{event.pk}/participants/{stranger.pk}/request/", {}, follow=True)
    assert "not registered for the event" in response.content.decode()
    assert not MeetingRequest.objects.filter(receiver=stranger).exists()


def test_the_agenda_lists_own_meetings_with_partner_qr_and_calendar(world, event, registered):
    from events.door_codes import check_in_code
    from events.door_codes import qr_svg as _qr_svg

    meeting = Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=2,
        starts_at=event.starts_at,
    )
    Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["other"],
        slot=1,
        table=1,
        starts_at=event.starts_at + timedelta(minutes=30),
    )
    firm = client_for(world, "ent_a")
    with time_machine.travel(timezone.now(), tick=False):  # the code is signed with the second it is made
        page = firm.get(f"/events/{event.pk}/agenda/").content.decode()
        door = (
            f"http://testserver/organiser/events/{event.pk}/check-in/?code={check_in_code(meeting, registered['firm'])}"
        )
    assert "甲大学" in page and "固态电池电解质" in page and "Table 2" in page and "<svg" in page
    assert "乙制造有限公司" not in page  # the other enterprise's meeting is not on this agenda
    ics = firm.get(f"/events/{event.pk}/agenda.ics")
    assert ics["Content-Type"].startswith("text/calendar") and ics.content.decode().count("BEGIN:VEVENT") == 1
    assert f"DTSTART:{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics.content.decode()
    assert "Table 2" in ics.content.decode()  # in the reader's language
    assert _qr_svg(door) in page  # the meeting's QR code opens the door's check-in for this participant
    # sized by the stylesheet through its viewBox: a fixed width and height would crop it (walk 17)
    assert 'viewBox="0 0 ' in _qr_svg(door) and ' width="' not in _qr_svg(door).split(">", 1)[0]
    # the institution's agenda shows both, but not the confidential need it may not see
    page = client_for(world, "inst_a").get(f"/events/{event.pk}/agenda/").content.decode()
    assert "甲科技有限公司" in page and "乙制造有限公司" in page and "机密需求" not in page


def test_the_check_in_code_on_an_agenda_opens_the_organisers_check_in(world, event, registered):
    from events.door_codes import check_in_code

    meeting = Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
    )
    code = check_in_code(meeting, registered["holder"])
    organiser = client_for(world, "organiser")
    page = organiser.get(f"/organiser/events/{event.pk}/check-in/?code={code}").content.decode()
    assert "甲大学" in page and "Not checked in yet" in page
    with at_the_door(event):
        organiser.post(f"/organiser/events/{event.pk}/check-in/?code={code}", {"registration": registered["holder"].pk})
        registered["holder"].refresh_from_db()
        assert registered["holder"].checked_in
        forged = organiser.get(f"/organiser/events/{event.pk}/check-in/?code={code}x").content.decode()
        assert "code for this event" in forged
        found = organiser.get(f"/organiser/events/{event.pk}/check-in/?q=乙制造").content.decode()
        assert "乙制造有限公司" in found
        organiser.post(
            f"/organiser/events/{event.pk}/check-in/", {"registration": registered["other"].pk, "action": "no-show"}
        )
        registered["other"].refresh_from_db()
        assert registered["other"].no_show
    # participants cannot open the door's page
    assert client_for(world, "inst_a").get(f"/organiser/events/{event.pk}/check-in/").status_code == 403


def test_rating_a_meeting_and_the_survey(world, event, registered):
    event.starts_at = timezone.now() - timedelta(hours=2)
    event.ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    meeting = Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
    )
    client = client_for(world, "inst_a")
    page = client.get(f"/events/{event.pk}/agenda/").content.decode()
    assert "How was this meeting?" in page
    client.post(
        f"/events/{event.pk}/meetings/{meeting.pk}/rate/",
        {f"m{meeting.pk}-rating": "4", f"m{meeting.pk}-outcome": "follow_up"},
    )
    meeting.refresh_from_db()
    assert meeting.holder_rating == 4 and meeting.holder_outcome == "follow_up" and meeting.status == "held"
    bad = client.post(f"/events/{event.pk}/meetings/{meeting.pk}/rate/", {f"m{meeting.pk}-rating": "9"}, follow=True)
    assert "Choose a rating from 1 to 5" in bad.content.decode()
    # someone else's meeting is not theirs to rate
    assert client_for(world, "ent_b").post(f"/events/{event.pk}/meetings/{meeting.pk}/rate/", {}).status_code == 404
    assert client.get(f"/events/{event.pk}/survey/").status_code == 404  # no survey sent yet
    FollowUpSurvey.objects.create(registration=registered["holder"])
    assert "follow-up survey" in client.get(f"/events/{event.pk}/agenda/").content.decode()
    client.post(f"/events/{event.pk}/survey/", {"contract_signed": "yes", "still_in_contact": "no", "comments": "好"})
    survey = FollowUpSurvey.objects.get(registration=registered["holder"])
    assert survey.contract_signed is True and survey.still_in_contact is False and survey.answered_at


def test_participant_pages_are_for_participants_only(world, event, registered):
    for name in ("inst_b", "broker", "organiser"):
        client = client_for(world, name)
        for page in ("participants", "requests", "agenda", "agenda.ics"):
            assert (
                client.get(
                    f"/events/{event.pk}/{page}/" if page != "agenda.ics" else f"/events/{event.pk}/agenda.ics"
                ).status_code
                == 404
            ), (name, page)
    draft = MatchmakingEvent.objects.create(
        title="草稿活动", starts_at=event.starts_at, ends_at=event.ends_at, organiser=world.users["organiser"]
    )
    assert client_for(world, "inst_a").get(f"/events/{draft.pk}/").status_code == 404
    assert Client().get(f"/events/{event.pk}/").status_code == 302  # sign in first


def test_the_event_list_shows_mine_and_open_ones(world, event, registered):
    page = client_for(world, "inst_a").get("/events/").content.decode()
    assert "储能成果对接会" in page and "My events" in page
    page = client_for(world, "inst_b").get("/events/").content.decode()
    assert "储能成果对接会" in page and "Open for registration" in page


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_an_institution_registers_asks_for_a_meeting_and_the_enterprise_accepts(
    live_server, phone, world, event
):
    make_achievement(world.inst_a, title="固态电池电解质")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    firm.needs.set([make_need(world.ent_a, title="储能电池热管理")])
    _sign_in(phone, live_server, "inst_a")
    phone.goto(f"{live_server.url}/events/")
    phone.click(f"a[href='/events/{event.pk}/']")
    phone.click(f"a[href='/events/{event.pk}/register/']")
    phone.fill("#id_from_1", "09:00")
    phone.fill("#id_until_1", "11:00")
    phone.check("input[name=brings]")
    phone.click("form.form button[type=submit]")
    phone.wait_for_url(f"**/events/{event.pk}/participants/")
    assert "储能电池热管理" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    phone.click(f"#participant-{firm.pk} summary")
    phone.fill(f"#message-{firm.pk}", "想交流热管理")
    phone.click(f"#participant-{firm.pk} form button[type=submit]")
    phone.wait_for_selector(f"#participant-{firm.pk} .state")
    assert "等待" in phone.inner_text(f"#participant-{firm.pk}")
    # the enterprise answers on its phone
    phone.context.clear_cookies()
    _sign_in(phone, live_server, "ent_a")
    phone.goto(f"{live_server.url}/events/{event.pk}/requests/")
    assert "想交流热管理" in phone.inner_text("main") and "固态电池电解质" in phone.inner_text("main")
    phone.click("button[value=accept]")
    phone.wait_for_selector(".messages")
    assert MeetingRequest.objects.get(receiver=firm).status == "accepted"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_the_day_a_participant_rates_and_answers_the_survey_and_the_door_checks_in_by_code(
    live_server, phone, world, event
):
    from events import services
    from events.door_codes import check_in_code

    event.starts_at = timezone.now() - timedelta(hours=1)
    event.ends_at = timezone.now() + timedelta(hours=1)
    event.save()
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    firm.needs.set([make_need(world.ent_a, title="储能电池热管理")])
    meeting = Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=2, starts_at=event.starts_at
    )
    FollowUpSurvey.objects.create(registration=holder)
    _sign_in(phone, live_server, "inst_a")
    phone.goto(f"{live_server.url}/events/{event.pk}/agenda/")
    card = f"#meeting-{meeting.pk}"
    assert "储能电池热管理" in phone.inner_text(card) and phone.locator(f"{card} .qr svg").count() == 1
    phone.check(f"{card} input[name=m{meeting.pk}-rating][value='4']")
    phone.select_option(f"#id_m{meeting.pk}-outcome", "follow_up")
    phone.click(f"{card} form button[type=submit]")
    phone.wait_for_selector(".messages")
    meeting.refresh_from_db()
    assert meeting.holder_rating == 4 and meeting.holder_outcome == "follow_up"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.click(f"a[href='/events/{event.pk}/survey/']")
    phone.check("input[name=contract_signed][value=no]")
    phone.check("input[name=still_in_contact][value=yes]")
    phone.fill("#id_comments", "希望继续对接")
    phone.click("form.form button[type=submit]")
    phone.wait_for_url(f"**/events/{event.pk}/")
    assert FollowUpSurvey.objects.get(registration=holder).still_in_contact is True
    with at_the_door(event, tick=True):
        # the organiser at the door opens the meeting's code on a phone and checks the holder in
        phone.context.clear_cookies()
        _sign_in(phone, live_server, "organiser")
        phone.goto(f"{live_server.url}/organiser/events/{event.pk}/check-in/?code={check_in_code(meeting, holder)}")
        assert "甲大学" in phone.inner_text("main")
        phone.click("section.card form button[value=check-in]")
        phone.wait_for_selector(".messages")
        assert "2 人中 1 人已签到" in phone.inner_text("#day-figures")
        # someone else marks the enterprise absent: the figures change on the open page by themselves
        services.record_no_show(registration=firm)
        phone.wait_for_function(
            "document.getElementById('day-figures').textContent.includes('1 人缺席')", timeout=15_000
        )
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_places_left_count_everyone_registered_brokers_too(world, event, registered):
    Registration.objects.create(event=event, user=world.users["broker"], side="broker")
    page = client_for(world, "inst_b").get(f"/events/{event.pk}/").content.decode()
    assert "6 places left" in page  # capacity 10, four registered


@translation.override("en")
def test_windows_that_hold_no_meeting_are_refused_with_the_slot_times(world, event):
    event.breaks = [["10:00", "10:30"]]
    event.save()
    client = client_for(world, "inst_a")
    page = client.post(
        f"/events/{event.pk}/register/", {"max_meetings": 3, "from_1": "10:00", "until_1": "10:30"}
    ).content.decode()
    assert "Your windows hold no whole meeting of 30 minutes" in page and "09:00, 09:30, 10:30" in page
    short = client.post(
        f"/events/{event.pk}/register/", {"max_meetings": 3, "from_1": "09:05", "until_1": "09:25"}
    ).content.decode()
    assert "hold no whole meeting" in short
    assert not Registration.objects.filter(event=event).exists()


def test_a_participant_opening_the_doors_code_gets_an_explained_403_in_the_layout(world, event, registered):
    page = client_for(world, "ent_a", "zh-hans").get(f"/organiser/events/{event.pk}/check-in/?code=x")
    text = page.content.decode()
    assert page.status_code == 403 and "<nav" in text and "二维码" in text and 'name="viewport"' in text
    missing = client_for(world, "ent_a").get("/events/999999/")
    assert missing.status_code == 404 and "This page does not exist" in missing.content.decode()


def test_the_agenda_says_whose_it_is_when_and_where(world, event, registered):
    from events.models import Room, Venue

    event.room = Room.objects.create(
        venue=Venue.objects.create(name="科创岛", address="天府大道"), name="1号厅", capacity=80, tables=10
    )
    event.save()
    page = client_for(world, "inst_a").get(f"/events/{event.pk}/agenda/").content.decode()
    head = page.split('class="agenda-head"')[1].split("</p>")[0]
    start = timezone.localtime(event.starts_at)
    assert "甲大学" in head and f"{start:%Y-%m-%d} {start:%H:%M}" in head and "科创岛 1号厅 (天府大道)" in head


def test_no_rating_is_asked_for_a_meeting_the_partner_missed(world, event, registered):
    event.starts_at = timezone.now() - timedelta(hours=2)
    event.ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
        status="no_show",
    )
    assert (
        "How was this meeting?" not in client_for(world, "inst_a").get(f"/events/{event.pk}/agenda/").content.decode()
    )


def test_a_weak_match_is_not_called_worth_meeting_and_the_field_filter_stays_after_a_search(world, event, registered):
    from matchmaking.models import Match

    Match.objects.create(
        achievement=registered["holder"].achievements.get(), need=registered["firm"].needs.get(), score=0.2
    )
    client = client_for(world, "inst_a")
    page = client.get(f"/events/{event.pk}/participants/").content.decode()
    assert "Worth meeting</strong>" not in page
    nothing = client.get(f"/events/{event.pk}/participants/?q=无此内容").content.decode()
    assert 'name="field"' in nothing and "Nobody at this event matches your search." in nothing


def test_long_calendar_lines_are_folded_as_rfc_5545_asks(world, event, registered):
    event.title = "储能与新能源汽车动力电池安全技术成果对接会（第十二期，面向成渝地区双城经济圈）"
    event.save()
    Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["firm"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
    )
    ics = client_for(world, "ent_a").get(f"/events/{event.pk}/agenda.ics").content
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    unfolded = ics.decode().replace("\r\n ", "")
    assert f"SUMMARY:{event.title}" in unfolded


def test_each_agenda_in_the_zip_shows_only_what_its_participant_may_see(world, event, registered):
    import io
    import zipfile

    Meeting.objects.create(
        event=event,
        holder=registered["holder"],
        enterprise=registered["other"],
        slot=0,
        table=1,
        starts_at=event.starts_at,
    )
    download = client_for(world, "admin").get(f"/organiser/events/{event.pk}/agendas.zip")
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    holder_agenda = next(n for n in archive.namelist() if "甲大学" in n and n.endswith(".html"))
    assert "机密需求" not in archive.read(holder_agenda).decode()  # admin may see it; the institution may not
    assert "乙制造有限公司" in archive.read(holder_agenda).decode()


def test_a_broker_at_the_event_recommends_the_pairs_worth_meeting(world, event, registered):
    """Walk 18 #1: a registered broker had nothing to do at the event."""
    from matchmaking.models import Match

    Registration.objects.create(event=event, user=world.users["broker"], side="broker")
    Match.objects.create(
        achievement=registered["holder"].achievements.get(), need=registered["firm"].needs.get(), score=0.8
    )
    # the brokers-only need is a match the broker may see, and one below the bar is no pair
    Match.objects.create(achievement=registered["holder"].achievements.get(), need=registered["secret"], score=0.2)
    broker = client_for(world, "broker")
    assert broker.get(f"/events/{event.pk}/participants/")["Location"] == f"/events/{event.pk}/pairs/"
    page = broker.get(f"/events/{event.pk}/pairs/").content.decode()
    assert "甲大学 × 甲科技有限公司" in page and "乙制造有限公司" not in page and "Recommend this pair" in page
    done = broker.post(
        f"/events/{event.pk}/pairs/",
        {"holder": registered["holder"].pk, "enterprise": registered["firm"].pk},
        follow=True,
    ).content.decode()
    assert "Recommended: 甲大学 and 甲科技有限公司 are asked to meet." in done
    made = MeetingRequest.objects.get(sender=registered["holder"], receiver=registered["firm"])
    assert made.recommended_by == world.users["broker"]
    assert "Request sent, waiting for an answer." in done and "Recommend this pair" not in done
    again = broker.post(
        f"/events/{event.pk}/pairs/",
        {"holder": registered["holder"].pk, "enterprise": registered["firm"].pk},
        follow=True,
    )
    assert "already asked" in again.content.decode() and MeetingRequest.objects.count() == 1
    forged = broker.post(
        f"/events/{event.pk}/pairs/", {"holder": registered["firm"].pk, "enterprise": "x"}, follow=True
    )
    assert "Both people must be registered" in forged.content.decode()
    # participants are sent to their own page; a broker not at the event is not let in
    assert client_for(world, "inst_a").get(f"/events/{event.pk}/pairs/")["Location"].endswith("/participants/")
    from ..factories import UserFactory

    outsider = UserFactory(role="broker", agency=world.users["broker"].agency)
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(f"/events/{event.pk}/pairs/").status_code == 404


@pytest.mark.parametrize("extra", [0, 2])
def test_the_pairs_page_reads_a_fixed_number_of_queries(world, event, registered, extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matchmaking.models import Match

    from ..factories import EnterpriseFactory, UserFactory

    Registration.objects.create(event=event, user=world.users["broker"], side="broker")
    achievement = registered["holder"].achievements.get()
    Match.objects.create(achievement=achievement, need=registered["firm"].needs.get(), score=0.8)
    for i in range(extra):  # more pairs, no more queries
        firm = EnterpriseFactory()
        user = UserFactory(role="enterprise", enterprise=firm)
        need = make_need(firm, title=f"需求{i}")
        Registration.objects.create(event=event, user=user, side="enterprise").needs.set([need])
        Match.objects.create(achievement=achievement, need=need, score=0.7)
    broker = client_for(world, "broker")
    broker.get(f"/events/{event.pk}/pairs/")
    with CaptureQueriesContext(connection) as captured:
        page = broker.get(f"/events/{event.pk}/pairs/").content.decode()
    assert page.count('class="card participant"') == 1 + extra
    assert len(captured) == 11, "\n".join(q["sql"] for q in captured.captured_queries)
