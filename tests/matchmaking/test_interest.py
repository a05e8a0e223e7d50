"""Expressing interest reaches the record's broker, once per record, naming only what the author
may name; a pair becomes a match flagged in the broker's inbox, which lists needs with requests first."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from matchmaking.interest import express_interest, interest_followed_up
from matchmaking.models import Interest, Match
from notifications.models import Notification

from ..factories import UserFactory, make_achievement, make_need
from ..web.clients import client_for


@pytest.fixture
def records(world):
    return {
        "public_need": make_need(world.ent_a, title="动力电池热管理"),
        "secret_need": make_need(world.ent_a, title="机密需求", confidentiality="brokers"),
        "achievement": make_achievement(world.inst_a, title="相变储热材料"),
        "other_ach": make_achievement(world.inst_b, title="乙的成果"),
        "draft_ach": make_achievement(world.inst_a, title="草稿成果", status="draft"),
    }


def test_an_institutions_interest_with_an_offer_becomes_a_flagged_match_for_the_needs_broker(world, records):
    need, achievement = records["public_need"], records["achievement"]
    other_broker = UserFactory(username="broker2", role="broker", agency=world.agency)
    Match.objects.create(need=need, achievement=records["other_ach"], score=0.4, broker=other_broker)
    interest = express_interest(
        actor=world.users["inst_a"], need_id=need.pk, achievement_id=achievement.pk, message="可以合作"
    )
    assert interest.broker == other_broker  # the broker who already works this need
    match = Match.objects.get(need=need, achievement=achievement)
    assert interest.match == match and match.broker == other_broker and match.rank is None
    assert match.notes.get().kind == "interest"
    note = Notification.objects.get(user=other_broker)
    assert note.kind == "interest" and note.url == f"/broker/matches/{match.pk}/"
    assert note.params["organisation"] == "甲大学"


def test_interest_is_expressed_once_per_record(world, records):
    express_interest(actor=world.users["inst_a"], need_id=records["public_need"].pk)
    with pytest.raises(ValidationError):
        express_interest(actor=world.users["inst_a"], need_id=records["public_need"].pk)
    assert Interest.objects.count() == 1


def test_interest_is_once_per_organisation_and_its_members_see_it(world, records):
    colleague = UserFactory(
        username="inst_a2", role="institution", institution=world.inst_a, first_name="", last_name="", email=""
    )
    express_interest(actor=world.users["inst_a"], need_id=records["public_need"].pk, message="第一位同事")
    with pytest.raises(ValidationError) as refused:
        express_interest(actor=colleague, need_id=records["public_need"].pk)
    assert "inst_a" in str(refused.value)  # says which colleague already did
    assert Interest.objects.get().institution == world.inst_a
    world.users["inst_a2"] = colleague
    page = client_for(world, "inst_a2").get(f"/needs/{records['public_need'].pk}/").content.decode()
    assert "inst_a expressed interest for your organisation" in page and 'name="offer"' not in page
    assert client_for(world, "inst_a2").get("/api/v1/interests/").json()["count"] == 1
    assert express_interest(actor=world.users["inst_b"], need_id=records["public_need"].pk).institution == world.inst_b


@pytest.mark.parametrize(
    "actor, need, achievement",
    [
        ("inst_a", "secret_need", None),  # an institution cannot see a brokers-only need
        ("inst_a", "public_need", "other_ach"),  # nor offer another institution's achievement
        ("inst_a", "public_need", "draft_ach"),  # nor a draft
        ("ent_b", "achievement", "public_need"),  # an enterprise offers only its own needs
    ],
)
def test_what_may_not_be_named_is_refused_and_nothing_is_written(world, records, actor, need, achievement):
    kwargs = {}
    if actor.startswith("inst"):
        kwargs = {"need_id": records[need].pk, "achievement_id": records[achievement].pk if achievement else None}
    else:
        kwargs = {"achievement_id": records[need].pk, "need_id": records[achievement].pk}
    with pytest.raises(ValidationError):
        express_interest(actor=world.users[actor], **kwargs)
    assert Interest.objects.count() == 0 and Match.objects.count() == 0 and Notification.objects.count() == 0


def test_brokers_and_organisers_do_not_express_interest(world, records):
    for role in ("broker", "organiser"):
        with pytest.raises(PermissionDenied):
            express_interest(actor=world.users[role], need_id=records["public_need"].pk)


def test_an_enterprise_on_an_achievement_page_expresses_interest_and_sees_that_it_did(world, records):
    client = client_for(world, "ent_b")
    url = f"/achievements/{records['achievement'].pk}/"
    assert "Express interest" in client.get(url).content.decode()
    response = client.post(f"{url}interest/", {"offer": "", "message": "想了解"})
    assert response.status_code == 302 and response["Location"] == f"{url}#interest"
    page = client.get(url).content.decode()
    assert "You expressed interest on" in page and 'name="offer"' not in page
    interest = Interest.objects.get()
    assert interest.on_kind == "achievement" and interest.match is None and interest.broker == world.users["broker"]


def test_the_broker_sees_the_interest_first_and_follows_it_up(world, records):
    interest = express_interest(actor=world.users["ent_b"], achievement_id=records["achievement"].pk)
    client = client_for(world, "broker")
    inbox = client.get("/broker/inbox/").content.decode()
    assert f'id="interest-{interest.pk}"' in inbox and "乙制造有限公司" in inbox
    assert client.post(f"/broker/interests/{interest.pk}/followed-up/").status_code == 302
    interest.refresh_from_db()
    assert interest.followed_up_at is not None
    assert f'id="interest-{interest.pk}"' not in client.get("/broker/inbox/").content.decode()


def test_only_its_broker_follows_an_interest_up(world, records):
    interest = express_interest(actor=world.users["ent_b"], achievement_id=records["achievement"].pk)
    other = UserFactory(username="broker2", role="broker", agency=world.agency)
    with pytest.raises(PermissionDenied):
        interest_followed_up(actor=other, interest=interest)
    assert client_for(world, "ent_b").post(f"/broker/interests/{interest.pk}/followed-up/").status_code == 403
    interest.refresh_from_db()
    assert interest.followed_up_at is None


def test_the_api_creates_and_lists_interest_for_its_author_and_broker(world, records, as_user):
    client = as_user("inst_a")
    made = client.post(
        "/api/v1/interests/", {"need": records["public_need"].pk, "message": "我们有方案"}, format="json"
    )
    assert made.status_code == 201 and made.json()["need_title"] == "动力电池热管理"
    again = client.post("/api/v1/interests/", {"need": records["public_need"].pk}, format="json")
    assert again.status_code == 400 and again.json()["error"]["fields"]["need"]
    assert as_user("inst_b").get("/api/v1/interests/").json()["count"] == 0
    assert as_user("broker").get("/api/v1/interests/").json()["results"][0]["author_organisation"] == "甲大学"
    done = as_user("broker").post(f"/api/v1/interests/{made.json()['id']}/followed-up/")
    assert done.status_code == 200 and done.json()["followed_up_at"]


def test_the_inbox_groups_matches_by_need_with_requests_first(world, records):
    from matchmaking.services import request_on_match

    quiet = make_need(world.ent_b, title="安静的需求")
    loud = records["public_need"]
    for need, score in ((quiet, 0.9), (loud, 0.3)):
        Match.objects.create(need=need, achievement=records["achievement"], score=score, broker=world.users["broker"])
    asked = Match.objects.get(need=loud)
    request_on_match(match=asked, actor=world.users["ent_a"], kind="introduction_request")
    page = client_for(world, "broker").get("/broker/inbox/").content.decode()
    assert page.index("动力电池热管理") < page.index("安静的需求")  # the asked need first, despite its score
    assert "A party asked" in page


def test_bulk_decline_moves_all_or_none(world, records):
    broker = world.users["broker"]
    mine = [
        Match.objects.create(need=records["public_need"], achievement=a, score=0.5, broker=broker)
        for a in (records["achievement"], records["other_ach"])
    ]
    theirs = Match.objects.create(
        need=records["secret_need"],
        achievement=records["achievement"],
        score=0.5,
        broker=UserFactory(username="broker2", role="broker", agency=world.agency),
    )
    client = client_for(world, "broker")
    refused = client.post(
        "/broker/inbox/bulk/", {"match": [m.pk for m in (*mine, theirs)], "action": "declined", "reason": "price"}
    )
    assert refused.status_code == 403
    assert set(Match.objects.values_list("stage", flat=True)) == {"suggested"}
    no_reason = client.post("/broker/inbox/bulk/", {"match": [m.pk for m in mine], "action": "declined"}, follow=True)
    assert "Nothing was changed" in no_reason.content.decode()
    assert set(Match.objects.values_list("stage", flat=True)) == {"suggested"}
    client.post("/broker/inbox/bulk/", {"match": [m.pk for m in mine], "action": "declined", "reason": "price"})
    assert sorted(Match.objects.values_list("stage", flat=True)) == ["declined", "declined", "suggested"]


def test_introducing_asks_for_confirmation_first(world, records):
    match = Match.objects.create(
        need=records["public_need"], achievement=records["achievement"], score=0.5, broker=world.users["broker"]
    )
    client = client_for(world, "broker")
    client.post(f"/broker/matches/{match.pk}/transition/", {"stage": "introduced", "version": 1})
    match.refresh_from_db()
    assert match.stage == "suggested"
    page = client.get(f"/broker/matches/{match.pk}/").content.decode()
    assert "Send the introduction" in page and "甲科技有限公司" in page
    client.post(f"/broker/matches/{match.pk}/transition/", {"stage": "introduced", "version": 1, "confirm": "yes"})
    match.refresh_from_db()
    assert match.stage == "introduced"


@pytest.mark.parametrize("count", [1, 3])
def test_the_interest_list_reads_a_fixed_number_of_queries(world, as_user, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(count):
        express_interest(actor=world.users["inst_a"], need_id=make_need(world.ent_a, title=f"需求{number}").pk)
    client = as_user("inst_a")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/interests/").json()["count"] == count
    assert len(captured) == 2, "\n".join(q["sql"] for q in captured.captured_queries)  # count, page


@pytest.mark.parametrize("count", [1, 3])
def test_the_inbox_by_need_reads_a_fixed_number_of_queries(world, records, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(count):
        need = make_need(world.ent_b, title=f"需求{number}")
        for achievement in (records["achievement"], records["other_ach"]):
            Match.objects.create(need=need, achievement=achievement, score=0.5, broker=world.users["broker"])
        express_interest(actor=world.users["inst_a"], need_id=need.pk)
    client = client_for(world, "broker")
    client.get("/broker/inbox/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/broker/inbox/").status_code == 200
    assert len(captured) == 10, "\n".join(q["sql"] for q in captured.captured_queries)


def test_show_all_lists_every_match_of_one_need_and_keeps_the_filters(world, records):
    need = records["public_need"]
    for number in range(7):
        Match.objects.create(
            need=need,
            achievement=make_achievement(world.inst_b, title=f"成果{number}"),
            score=0.5,
            broker=world.users["broker"],
        )
    client = client_for(world, "broker")
    page = client.get("/broker/inbox/", {"stage": "suggested"}).content.decode()
    assert page.count('name="match"') == 5 and "stage=suggested&amp;need=" in page
    every = client.get("/broker/inbox/", {"stage": "suggested", "need": need.pk}).content.decode()
    assert every.count('name="match"') == 7


def test_bulk_moves_roll_back_an_earlier_success_when_a_later_one_fails(world, records):
    broker = world.users["broker"]
    first = Match.objects.create(
        need=records["public_need"], achievement=records["achievement"], score=0.5, broker=broker
    )
    worked = Match.objects.create(
        need=records["public_need"], achievement=records["other_ach"], score=0.4, broker=broker, stage="introduced"
    )
    page = client_for(world, "broker").post(
        "/broker/inbox/bulk/", {"match": [first.pk, worked.pk], "action": "shortlisted"}, follow=True
    )
    assert "“乙的成果” for “动力电池热管理”" in page.content.decode() and "Nothing was changed" in page.content.decode()
    first.refresh_from_db()
    assert first.stage == "suggested" and first.events.count() == 0  # its shortlisting was undone


@pytest.mark.parametrize("message", ["看这里\u202e反转", "响铃\x07", "空\x00字"])
def test_an_interest_message_with_control_characters_is_refused(world, records, message):
    with pytest.raises(ValidationError) as refused:
        express_interest(actor=world.users["inst_a"], need_id=records["public_need"].pk, message=message)
    assert "message" in refused.value.message_dict and not Interest.objects.exists()
