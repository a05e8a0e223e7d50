"""In-app notifications: stored for each reader, shown in their language, honouring each
user's choice of site and e-mail per kind; nobody reads or marks another's."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matchmaking import services as matching
from matchmaking.models import Match, NoteKind
from notifications.models import Notification, NotificationSetting
from notifications.services import notify

from ..factories import make_achievement, make_need
from ..web.clients import client_for

SUBJECT = "New suggestions for your need “%(need)s”"
BODY = (
    "The matching found %(count)s new achievement that may answer it.",
    "The matching found %(count)s new achievements that may answer it.",
)


def tell(user, need="固态电池", url="/enterprise/needs/1/suggestions/", count=2, **extra):
    return notify([user], kind="new_matches", subject=SUBJECT, body=BODY, url=url, need=need, count=count, **extra)


def test_a_notification_reads_in_the_readers_language_whenever_it_is_read(world):
    tell(world.users["ent_a"])
    note = Notification.objects.get()
    from django.utils import translation

    with translation.override("zh-hans"):
        assert note.title == "您的需求“固态电池”有新的推荐"
    with translation.override("en"):
        assert note.title == "New suggestions for your need “固态电池”"
        assert note.text == "The matching found 2 new achievements that may answer it."


def test_a_counted_notification_takes_the_plural_its_count_needs_in_site_and_e_mail(
    world, django_capture_on_commit_callbacks
):
    from django.utils import translation

    world.users["ent_a"].email, world.users["ent_a"].language = "a@example.cn", "en"
    world.users["ent_a"].save()
    NotificationSetting.objects.create(user=world.users["ent_a"], kind="new_matches", web=True, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        tell(world.users["ent_a"], count=1)
        tell(world.users["ent_a"], url="/elsewhere/", count=3)
    one, three = Notification.objects.order_by("pk")
    with translation.override("en"):
        assert one.text == "The matching found 1 new achievement that may answer it."
        assert three.text == "The matching found 3 new achievements that may answer it."
    with translation.override("zh-hans"):
        assert three.text == "匹配引擎找到 3 项可能满足该需求的新成果。"
    assert "1 new achievement that" in mail.outbox[0].body and "3 new achievements" in mail.outbox[1].body


def test_each_user_chooses_site_and_e_mail_per_kind(world, django_capture_on_commit_callbacks):
    ent_a, ent_b = world.users["ent_a"], world.users["ent_b"]
    for user in (ent_a, ent_b):
        user.email = f"{user.username}@example.cn"
        user.save()
    NotificationSetting.objects.create(user=ent_b, kind="new_matches", web=False, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        stored = notify([ent_a, ent_b], kind="new_matches", subject=SUBJECT, body=BODY, need="电池", count=1)
    assert stored == 1
    assert list(Notification.objects.filter(on_site=True).values_list("user__username", flat=True)) == ["ent_a"]
    # new suggestions are not e-mailed unless asked for; ent_b asked for e-mail only
    assert [m.to for m in mail.outbox] == [["ent_b@example.cn"]]


def test_a_rolled_back_action_tells_nobody(world, django_capture_on_commit_callbacks):
    from django.db import transaction

    world.users["ent_a"].email = "a@example.cn"
    world.users["ent_a"].save()
    NotificationSetting.objects.create(user=world.users["ent_a"], kind="new_matches", web=True, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            tell(world.users["ent_a"])
            transaction.set_rollback(True)
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_unread_news_about_the_same_page_is_not_repeated(world):
    ent_a = world.users["ent_a"]
    assert notify([ent_a], kind="new_matches", subject=SUBJECT, url="/x/", once_unread=True, need="a", count=1) == 1
    assert notify([ent_a], kind="new_matches", subject=SUBJECT, url="/x/", once_unread=True, need="a", count=3) == 0
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    assert notify([ent_a], kind="new_matches", subject=SUBJECT, url="/x/", once_unread=True, need="a", count=1) == 1


def test_e_mail_only_readers_are_not_e_mailed_again_for_the_same_page_within_a_week(
    world, django_capture_on_commit_callbacks
):
    ent_a = world.users["ent_a"]
    ent_a.email = "a@example.cn"
    ent_a.save()
    NotificationSetting.objects.create(user=ent_a, kind="new_matches", web=False, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        for count in (1, 2, 3):  # three re-rankings of the same need
            notify([ent_a], kind="new_matches", subject=SUBJECT, url="/x/", once_unread=True, need="a", count=count)
    assert len(mail.outbox) == 1
    assert client_for(world, "ent_a").get("/notifications/").content.decode().count('class="card') == 1  # none shown


def test_an_unknown_kind_is_a_programming_error(world):
    with pytest.raises(ValueError):
        notify([world.users["ent_a"]], kind="gossip", subject="x")


def test_the_header_counts_unread_and_the_page_lists_only_ones_own(world):
    tell(world.users["ent_a"], need="甲的需求")
    tell(world.users["ent_b"], need="乙的机密需求")
    page = client_for(world, "ent_a").get("/notifications/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "甲的需求" in text and "乙的机密需求" not in text
    assert 'class="count" aria-label="1 unread">1</span>' in text
    assert 'class="count"' not in client_for(world, "inst_a").get("/notifications/").content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(world):
    tell(world.users["ent_a"], url="/enterprise/needs/7/suggestions/")
    note = Notification.objects.get()
    response = client_for(world, "ent_a").post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/enterprise/needs/7/suggestions/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_opens_or_marks_anothers_notification(world):
    tell(world.users["ent_a"])
    note = Notification.objects.get()
    other = client_for(world, "ent_b")
    assert other.post(f"/notifications/{note.pk}/open/").status_code == 404
    assert other.post("/notifications/read-all/").status_code == 302
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.users["ent_b"])
    assert api.post("/api/v1/notifications/read/", {"ids": [note.pk]}, format="json").json() == {"marked_read": 0}
    note.refresh_from_db()
    assert note.read_at is None


def test_an_outside_address_is_never_followed(world):
    tell(world.users["ent_a"], url="https://evil.example/")
    note = Notification.objects.get()
    response = client_for(world, "ent_a").post(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_the_settings_page_offers_the_roles_kinds_and_saves_them(world):
    client = client_for(world, "ent_a")
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="email-new_matches"' in page and 'name="web-interest"' not in page  # interest: brokers'
    response = client.post("/notifications/settings/", {"web-new_matches": "on", "email-new_matches": "on"})
    assert response.status_code == 302
    saved = {s.kind: (s.web, s.email) for s in NotificationSetting.objects.filter(user=world.users["ent_a"])}
    assert saved["new_matches"] == (True, True)
    assert saved["meeting_request"] == (False, False)  # unticked boxes are a choice too


def test_the_api_lists_marks_read_and_sets_choices(world, as_user):
    tell(world.users["ent_a"])
    tell(world.users["ent_a"], url="/y/")
    client = as_user("ent_a")
    listed = client.get("/api/v1/notifications/?unread=true", HTTP_ACCEPT_LANGUAGE="en").json()
    assert listed["count"] == 2
    assert listed["results"][0]["title"] == "New suggestions for your need “固态电池”"
    first = listed["results"][0]["id"]
    assert client.post("/api/v1/notifications/read/", {"ids": [first]}, format="json").json() == {"marked_read": 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 1
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked_read": 1}
    refused = client.put("/api/v1/notifications/settings/", [{"kind": "interest", "web": True, "email": False}])
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["kind"]
    chosen = client.put(
        "/api/v1/notifications/settings/", [{"kind": "new_matches", "web": True, "email": True}], format="json"
    ).json()
    assert {"kind": "new_matches", "web": True, "email": True} == {
        k: v for k, v in next(r for r in chosen if r["kind"] == "new_matches").items() if k != "label"
    }


@pytest.mark.parametrize("count", [1, 3])
def test_the_notification_list_reads_a_fixed_number_of_queries(world, as_user, count):
    for number in range(count):
        tell(world.users["ent_a"], url=f"/{number}/")
    client = as_user("ent_a")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/notifications/").json()["count"] == count
    assert len(captured) == 2, "\n".join(q["sql"] for q in captured.captured_queries)  # count, page


# what the platform tells, end to end ------------------------------------------------------------


def test_a_partys_request_reaches_the_brokers_bell(world):
    need = make_need(world.ent_a, title="热管理需求")
    achievement = make_achievement(world.inst_a, title="相变材料")
    match = Match.objects.create(need=need, achievement=achievement, score=0.5, broker=world.users["broker"])
    matching.request_on_match(match=match, actor=world.users["ent_a"], kind=NoteKind.INTRODUCTION_REQUEST)
    note = Notification.objects.get(user=world.users["broker"])
    assert note.kind == "match_request" and note.url == f"/broker/matches/{match.pk}/"


def test_the_parties_hear_when_their_match_moves_on_each_about_its_own_record(world):
    need = make_need(world.ent_a, title="机密热管理", confidentiality="brokers")
    achievement = make_achievement(world.inst_a, title="相变材料")
    match = Match.objects.create(need=need, achievement=achievement, score=0.5, broker=world.users["broker"])
    for stage in ("shortlisted", "introduced", "meeting"):
        match = matching.match_transition(match=match, actor=world.users["broker"], to_stage=stage)
    told = {(n.user.username, n.kind, n.params.get("record")) for n in Notification.objects.select_related("user")}
    assert ("ent_a", "match_stage", "机密热管理") in told
    assert ("inst_a", "match_stage", "相变材料") in told
    assert {k for _, k, _ in told} == {"introduction", "match_stage"}  # shortlisting is the broker's own


def test_new_suggestions_tell_the_enterprise_once_until_it_looks(world, django_capture_on_commit_callbacks):
    from ..factories import index_everything

    need = make_need(world.ent_a, title="固态电池电解质需求", description="需要固态电解质")
    make_achievement(world.inst_a, title="固态电池电解质", abstract="固态电解质材料")
    index_everything()
    matching.rematch_needs([need.pk])
    assert Match.objects.filter(need=need).exists()
    note = Notification.objects.get(user=world.users["ent_a"])
    assert note.kind == "new_matches" and note.url == f"/enterprise/needs/{need.pk}/suggestions/"
    make_achievement(world.inst_b, title="固态电解质薄膜", abstract="固态电解质")
    index_everything()
    matching.rematch_needs([need.pk])
    assert Notification.objects.filter(user=world.users["ent_a"]).count() == 1


def test_an_introduction_gives_the_institution_a_name_and_phone_too(world):
    ent_a = world.users["ent_a"]
    ent_a.first_name, ent_a.phone, ent_a.email = "刚", "028-1234", "e@example.cn"
    ent_a.save()
    need = make_need(world.ent_a, title="公开需求")
    match = Match.objects.create(
        need=need, achievement=make_achievement(world.inst_a), score=0.5, broker=world.users["broker"]
    )
    matching.match_transition(match=match, actor=world.users["broker"], to_stage="introduced")
    told = Notification.objects.get(user=world.users["inst_a"], kind="introduction")
    assert told.params["contact"] == "刚 028-1234 e@example.cn"


def test_old_notifications_are_purged_read_ones_sooner(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.tasks import purge_old

    settings.NOTIFICATIONS_KEEP_READ_DAYS, settings.NOTIFICATIONS_KEEP_DAYS = 90, 365
    now = timezone.now()
    for days, read in [(10, True), (100, False), (100, True), (400, False)]:
        tell(world.users["ent_a"], url=f"/{days}/{read}/")
        Notification.objects.filter(url=f"/{days}/{read}/").update(
            created_at=now - timedelta(days=days), read_at=now - timedelta(days=days) if read else None
        )
    assert purge_old() == 2
    assert sorted(Notification.objects.values_list("url", flat=True)) == ["/10/True/", "/100/False/"]
    assert purge_old() == 0  # safe to run twice
