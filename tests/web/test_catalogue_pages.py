"""The catalogue: an achievement's, a need's, an institution's and an enterprise's own page, with
the API's visibility rules, linked from search, suggestions, matches and events."""

import pytest
from django.test import Client

from achievements.models import Achievement
from enterprises.models import TechnologyNeed

from ..factories import make_achievement, make_need
from .clients import client_for


@pytest.fixture
def records(world):
    published = make_achievement(world.inst_a, title="固态电池电解质", abstract="一种高离子电导率的固态电解质。")
    Achievement.objects.filter(pk=published.pk).update(asking_price_min=50, asking_price_max=None)
    draft = make_achievement(world.inst_a, title="未发布的草稿成果", status="draft")
    public = make_need(
        world.ent_a, title="动力电池热管理", description="需要电池包热管理方案。", budget_min=None, budget_max=None
    )
    secret = make_need(world.ent_a, title="机密需求", confidentiality="brokers")
    return {"published": published, "draft": draft, "public": public, "secret": secret}


def test_an_achievement_page_shows_what_the_api_shows(world, records):
    page = client_for(world, "ent_b").get(f"/achievements/{records['published'].pk}/").content.decode()
    assert "固态电池电解质" in page and "一种高离子电导率的固态电解质。" in page
    assert f'href="/institutions/{world.inst_a.pk}/"' in page
    assert "From CNY 500,000" in page  # one end of the range given, said so, in yuan for English readers
    assert "/edit" not in page and "Edit" not in page  # not theirs
    own = client_for(world, "inst_a").get(f"/achievements/{records['draft'].pk}/")
    assert own.status_code == 200 and "Draft" in own.content.decode() and "Edit" in own.content.decode()
    # a draft is its institution's business only; an unknown id is a plain 404 page
    assert client_for(world, "ent_b").get(f"/achievements/{records['draft'].pk}/").status_code == 404
    assert client_for(world, "inst_b").get(f"/achievements/{records['draft'].pk}/").status_code == 404
    assert client_for(world, "ent_b").get("/achievements/999999/").status_code == 404
    assert Client().get(f"/achievements/{records['published'].pk}/").status_code == 302  # sign in first


def test_a_need_page_keeps_brokers_only_needs_to_brokers(world, records):
    page = client_for(world, "inst_b").get(f"/needs/{records['public'].pk}/").content.decode()
    assert "动力电池热管理" in page and f'href="/enterprises/{world.ent_a.pk}/"' in page
    assert "Not stated (to be agreed)" in page
    assert client_for(world, "inst_b").get(f"/needs/{records['secret'].pk}/").status_code == 404
    assert client_for(world, "ent_b").get(f"/needs/{records['secret'].pk}/").status_code == 404
    assert client_for(world, "broker").get(f"/needs/{records['secret'].pk}/").status_code == 200
    assert "Edit" in client_for(world, "ent_a").get(f"/needs/{records['secret'].pk}/").content.decode()


def test_institution_and_enterprise_pages_list_only_what_the_reader_may_see(world, records):
    institution = client_for(world, "ent_b").get(f"/institutions/{world.inst_a.pk}/").content.decode()
    assert "固态电池电解质" in institution and "未发布的草稿成果" not in institution
    assert f'href="/achievements/{records["published"].pk}/"' in institution
    assert "未发布的草稿成果" in client_for(world, "inst_a").get(f"/institutions/{world.inst_a.pk}/").content.decode()
    enterprise = client_for(world, "inst_b").get(f"/enterprises/{world.ent_a.pk}/").content.decode()
    assert "动力电池热管理" in enterprise and "机密需求" not in enterprise
    assert "机密需求" in client_for(world, "broker").get(f"/enterprises/{world.ent_a.pk}/").content.decode()


def test_the_pages_are_linked_from_search_and_the_lists(world, records, settings):
    from ..factories import index_everything

    index_everything()
    found = client_for(world, "ent_b").get("/search/", {"q": "固态电池"}).content.decode()
    assert f'href="/achievements/{records["published"].pk}/"' in found
    assert f'href="/institutions/{world.inst_a.pk}/"' in found
    assert TechnologyNeed.objects.filter(pk=records["public"].pk).exists()


def test_institutions_search_needs_and_see_only_public_ones(world, records):
    from ..factories import index_everything

    other = make_need(world.ent_b, title="电池包热管理方案征集", description="需要电池热管理")
    secret = make_need(world.ent_b, title="机密的电池热管理", description="电池热管理", confidentiality="brokers")
    index_everything()
    found = client_for(world, "inst_b").get("/search/", {"q": "热管理"}).content.decode()  # needs by default
    assert "Search technology needs" in found
    assert f'href="/needs/{records["public"].pk}/"' in found and f'href="/needs/{other.pk}/"' in found
    assert f'href="/needs/{secret.pk}/"' not in found and "机密" not in found  # brokers only: not an institution's
    broker = client_for(world, "broker").get("/search/", {"q": "热管理", "what": "needs"}).content.decode()
    assert f'href="/needs/{secret.pk}/"' in broker
    achievements = client_for(world, "inst_b").get("/search/", {"q": "固态电池", "what": "achievements"}).content
    assert f'href="/achievements/{records["published"].pk}/"'.encode() in achievements


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_read_in_each_language(world, records, language):
    page = client_for(world, "ent_b", language).get(f"/achievements/{records['published'].pk}/").content.decode()
    assert ("摘要" in page) == (language == "zh-hans") and ("Abstract" in page) == (language == "en")


@pytest.mark.parametrize("kind", ["achievement", "need", "institution", "enterprise"])
def test_catalogue_pages_read_a_fixed_number_of_queries(world, records, kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):  # more records do not mean more queries
        make_achievement(world.inst_a, title=f"成果{i}")
        make_need(world.ent_a, title=f"需求{i}")
    url = {
        "achievement": f"/achievements/{records['published'].pk}/",
        "need": f"/needs/{records['public'].pk}/",
        "institution": f"/institutions/{world.inst_a.pk}/",
        "enterprise": f"/enterprises/{world.ent_a.pk}/",
    }[kind]
    client = client_for(world, "broker")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    expected = {"achievement": 7, "need": 5, "institution": 6, "enterprise": 6}[kind]
    assert len(captured) == expected, "\n".join(q["sql"] for q in captured.captured_queries)


def test_what_a_participant_brings_to_an_event_links_to_its_page(world, records):
    from datetime import timedelta

    from django.utils import timezone

    from events.models import MatchmakingEvent, Registration

    start = timezone.now() + timedelta(days=5)
    event = MatchmakingEvent.objects.create(
        title="储能对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        organiser=world.users["organiser"],
        status="open",
    )
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    holder.achievements.set([records["published"]])
    Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    page = client_for(world, "ent_a").get(f"/events/{event.pk}/participants/").content.decode()
    assert f'<a href="/achievements/{records["published"].pk}/">固态电池电解质</a>' in page
