"""The 揭榜挂帅 pages: the committee screens and publishes, an institution bids, a reviewer scores,
the committee awards, all through the web forms."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from outcomes.models import Bid, Challenge

from ..factories import ExpertFactory, InstitutionFactory, UserFactory, index_everything, make_need

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.content.decode())


def test_the_whole_challenge_in_the_browser_forms(world, django_capture_on_commit_callbacks):
    from outcomes.challenges import challenge_submit

    need = make_need(
        world.ent_a,
        title="揭榜：高安全固态电解质",
        status="draft",
        is_challenge=True,
        challenge_award=300,
        challenge_closes_on=timezone.localdate() + timedelta(days=20),
        keywords=["固态电池", "电解质"],
    )
    world.users["organiser"].email = "committee@example.org"
    world.users["organiser"].save()
    challenge = challenge_submit(actor=world.users["ent_a"], need=need)
    committee = client_for(world.users["organiser"])
    url = f"/challenges/{challenge.pk}/"
    action = url + "action/"
    assert "请说明不通过的理由" in text(committee.post(action, {"action": "reject"}, follow=True))
    committee.post(action, {"action": "approve"})
    committee.post(action, {"action": "publish"})
    assert Challenge.objects.get(pk=challenge.pk).stage == "published"
    assert "高安全固态电解质" in text(client_for(world.users["inst_b"]).get("/challenges/"))

    inst = client_for(world.users["inst_a"])
    bad = inst.post(
        action,
        {"action": "bid", "team_name": "甲团队", "proposal": "方案", "budget": "x", "timeline_months": "12"},
        follow=True,
    )
    assert not Bid.objects.exists() and "数字" in text(bad)
    with django_capture_on_commit_callbacks(execute=True):
        inst.post(
            action,
            {
                "action": "bid",
                "team_name": "甲团队",
                "proposal": "硫化物路线",
                "budget": "250",
                "timeline_months": "12",
                "team_members": "张三，李四",
            },
        )
    bid = Bid.objects.get()
    assert bid.team_members == ["张三", "李四"]
    assert "甲团队" not in text(client_for(world.users["inst_b"]).get(url))  # others' bids stay hidden

    reviewer_user = UserFactory(role=Role.INSTITUTION, institution=InstitutionFactory(name="丙大学"))
    ExpertFactory(institution=reviewer_user.institution, name="丙专家", expertise="固态电池电解质", user=reviewer_user)
    index_everything()
    committee.post(action, {"action": "reviewers"})
    committee.post(action, {"action": "close"})
    assert "丙专家" in text(committee.get(url))
    reviewer = client_for(reviewer_user)
    reviewer.post(
        action,
        {
            "action": "review",
            "bid": bid.pk,
            "score_technical": "9",
            "score_feasibility": "8",
            "score_team": "8",
            "score_budget": "7",
            "comment": "可行",
        },
    )
    assert bid.reviews.get().total == 83.0  # (9x40 + 8x30 + 8x20 + 7x10) / 10
    nonsense = committee.post(action, {"action": "award", "bid": "abc"}, follow=True)
    assert nonsense.status_code == 200 and Challenge.objects.get(pk=challenge.pk).stage == "evaluating"
    committee.post(action, {"action": "award", "bid": bid.pk})
    assert Challenge.objects.get(pk=challenge.pk).stage == "awarded"
    assert Bid.objects.get().status == "awarded"
    refused = inst.post(action, {"action": "award", "bid": bid.pk}, follow=True)
    assert "只有委员会可以定榜" in text(refused)
    assert "committee@example.org" in {m.to[0] for m in mail.outbox}  # the committee heard of the bid


def test_screening_reads_the_need_analysis_coverage():
    from matchmaking.analysis.services import screening

    point = {"text": "t", "achievements": []}
    assert screening(None) is None
    assert screening({"points": [{**point, "coverage": "strong"}] * 2})["advice"] == "covered"
    mixed = screening({"points": [{**point, "coverage": "strong"}, {**point, "coverage": "none"}]})
    assert mixed["advice"] == "challenge" and mixed["counts"] == {"strong": 1, "some": 0, "none": 1}
    assert screening({"points": [{**point, "coverage": "unknown"}]})["advice"] == "unknown"
    assert screening({"points": []})["advice"] == "unknown"


@pytest.mark.parametrize("confidentiality", ["public", "brokers"])
def test_the_committee_screens_a_challenge_with_its_needs_coverage(world, confidentiality):
    from matchmaking.analysis.services import analyse_stored_need
    from matchmaking.models import NeedAnalysis
    from outcomes.challenges import challenge_submit

    need = make_need(
        world.ent_a,
        title="揭榜：高安全固态电解质",
        description="需要高安全固态电解质，离子电导率大于1mS/cm。另外，需要干法电极工艺，良率达到95%。",
        status="draft",
        is_challenge=True,
        challenge_award=300,
        challenge_closes_on=timezone.localdate() + timedelta(days=20),
        confidentiality=confidentiality,
    )
    challenge = challenge_submit(actor=world.users["ent_a"], need=need, public_consent=confidentiality == "brokers")
    index_everything()
    committee = client_for(world.users["organiser"])
    url = f"/challenges/{challenge.pk}/"
    if confidentiality == "brokers":  # an organiser may not read figures drawn from a brokers-only need
        page = committee.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'id="screening"' not in page
        assert "shown to brokers only, so its analysis is not shown" in page  # said, not silently missing
        return
    first = committee.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="screening"' in first and "being prepared" in first
    # the need is still a draft: the full analysis page would answer 404, so it is not linked
    assert f"/broker/needs/{need.pk}/analysis/" not in first
    assert committee.get(f"/broker/needs/{need.pk}/analysis/").status_code == 404
    NeedAnalysis.objects.filter(need=need).delete()
    analyse_stored_need(need=need)
    page = text(committee.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "What the platform covers" in page
    assert "a challenge fits this need" in page  # nothing on this platform covers either point
    assert "需要干法电极工艺" in page
    zh = text(committee.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "需要干法电极工艺" in zh and "What the platform covers" not in zh
