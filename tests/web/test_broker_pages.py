"""The broker's pages, server-side and in a real browser (headless Chromium)."""

import pytest
from django.test import Client

from matchmaking import services
from matchmaking.models import Match, MatchEvent

from ..factories import index_everything, make_achievement, make_need


@pytest.fixture
def matched(world):
    make_achievement(
        world.inst_a, title="固态锂电池电解质", keywords=["固态电池"], abstract="复合固态电解质提高储能电池安全性。"
    )
    make_achievement(
        world.inst_b, title="水稻抗病育种", keywords=["水稻"], field_code="modern-agriculture", abstract="分子育种。"
    )
    need = make_need(
        world.ent_a, title="寻求固态电池技术", keywords=["固态电池"], description="储能柜需要更安全的电池。"
    )
    index_everything()
    services.rematch_needs([need.pk])
    return need


def test_inbox_lists_and_filters_the_brokers_matches(world, matched):
    client = Client()
    client.force_login(world.users["broker"])
    page = client.get("/broker/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "寻求固态电池技术" in html and "固态锂电池电解质" in html
    filtered = client.get("/broker/inbox/", {"q": "水稻"}).content.decode()
    assert "水稻抗病育种" in filtered and "固态锂电池电解质" not in filtered


def test_match_page_highlights_shared_terms_and_declines_with_reason(world, matched):
    client = Client()
    client.force_login(world.users["broker"])
    match = Match.objects.get(need=matched, rank=1)
    html = client.get(f"/broker/matches/{match.pk}/").content.decode()
    assert "<mark>" in html and "技术领域相同" in html
    missing_reason = client.post(
        f"/broker/matches/{match.pk}/transition/", {"stage": "declined", "version": 1}, follow=True
    )
    assert "请选择拒绝原因" in missing_reason.content.decode()
    match.refresh_from_db()
    assert match.stage == "suggested"
    client.post(f"/broker/matches/{match.pk}/transition/", {"stage": "declined", "reason": "price", "version": 1})
    match.refresh_from_db()
    assert (match.stage, match.decline_reason) == ("declined", "price")


@pytest.mark.parametrize("role", ["ent_a", "inst_a", "organiser"])
def test_only_brokers_see_the_inbox(world, matched, role):
    client = Client()
    client.force_login(world.users[role])
    assert client.get("/broker/inbox/").status_code == 403


def test_anonymous_is_sent_to_sign_in(db):
    assert Client().get("/broker/inbox/").url.startswith("/accounts/login/")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_journey_in_a_real_browser(live_server, page, world, matched):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "broker")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/broker/inbox/")
    assert "寻求固态电池技术" in page.inner_text("section.need-group h2")  # the inbox is by need

    page.fill("input[name=q]", "固态")  # a search typed in Chinese
    page.click("text=筛选")
    page.click("table >> text=固态锂电池电解质")
    assert page.locator("mark").count() > 0

    page.select_option("#decline-reason", "maturity_too_low")
    page.fill("#decline-note", "成熟度不够")
    page.click("button.danger")
    assert page.inner_text("#stage") == "已拒绝"
    assert MatchEvent.objects.filter(to_stage="declined", reason="maturity_too_low", note="成熟度不够").exists()

    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.inner_text("#stage") == "Declined"


def test_inbox_filters_by_district_and_maturity(world, matched):
    from core.models import District

    district = District.objects.first()
    world.ent_a.district = district
    world.ent_a.save()
    client = Client()
    client.force_login(world.users["broker"])
    html = client.get("/broker/inbox/", {"district": district.code, "assigned": "all"}).content.decode()
    assert "寻求固态电池技术" in html
    other = District.objects.exclude(pk=district.pk).first()
    assert (
        "寻求固态电池技术"
        not in client.get("/broker/inbox/", {"district": other.code, "assigned": "all"}).content.decode()
    )
    assert "寻求固态电池技术" in client.get("/broker/inbox/", {"maturity": "pilot", "assigned": "all"}).content.decode()
    assert (
        "寻求固态电池技术" not in client.get("/broker/inbox/", {"maturity": "lab", "assigned": "all"}).content.decode()
    )


def test_the_district_filter_means_the_same_on_the_web_and_in_the_api(world, matched, as_user):
    from core.models import District

    region, home = District.objects.all()[:2]
    world.ent_a.district = home
    world.ent_a.save()
    matched.region = region  # the need is for another district than the enterprise's own
    matched.save(update_fields=["region"])
    client = Client()
    client.force_login(world.users["broker"])
    api = as_user("broker")
    for code, expected in ((region.code, True), (home.code, False)):
        web = "寻求固态电池技术" in client.get("/broker/inbox/", {"district": code, "assigned": "all"}).content.decode()
        listed = api.get("/api/v1/matches/", {"district": code}).json()["count"] > 0
        assert web == listed == expected, code
