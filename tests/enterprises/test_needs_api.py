from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.models import TechnologyNeed

from ..factories import make_need

URL = "/api/v1/needs/"


def future(days=30):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


VALID = {
    "title": "寻求高安全性储能电池技术",
    "description": "我公司生产储能柜，希望引进固态电池技术，提升安全性。",
    "keywords": ["固态电池", "储能"],
    "field": "new-energy",
    "required_trl": 6,
    "cooperation_modes": ["license", "co-development"],
    "budget_min": "100",
    "budget_max": "500",
    "region": "high-tech-zone",
    "confidentiality": "brokers",
}


def test_enterprise_posts_need_through_api(as_user, world):
    response = as_user("ent_a").post(URL, {**VALID, "deadline": future(90)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["enterprise"] == {"id": world.ent_a.pk, "name": world.ent_a.name}
    assert body["cooperation_modes"] == ["license", "co-development"]
    assert body["region"]["code"] == "high-tech-zone"
    assert (body["status"], body["confidentiality"], body["is_challenge"]) == ("draft", "brokers", False)


def test_challenge_need_requires_award_and_closing_date(as_user, world):
    client = as_user("ent_a")
    missing = client.post(URL, {**VALID, "is_challenge": True}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"challenge_award", "challenge_closes_on"}
    created = client.post(
        URL,
        {
            **VALID,
            "is_challenge": True,
            "challenge_award": "500",
            "challenge_closes_on": future(60),
            "status": "published",
        },
        format="json",
    )
    assert created.status_code == 201
    assert (created.json()["challenge_award"], created.json()["status"]) == ("500.00", "published")
    assert TechnologyNeed.objects.filter(is_challenge=True).count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"deadline": "2001-01-01"}, "deadline"),
        ({"budget_min": "900", "budget_max": "100"}, "__all__"),
        ({"required_trl": 0}, "required_trl"),
        ({"region": "atlantis"}, "region"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"cooperation_modes": "license"}, "cooperation_modes"),
        ({"deadline": "next week"}, "deadline"),
        ({"is_challenge": True, "challenge_award": "0", "challenge_closes_on": future()}, "challenge_award"),
    ],
)
def test_bad_need_input_is_rejected_and_nothing_written(as_user, world, change, field):
    response = as_user("ent_a").post(URL, {**VALID, **change}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert field in fields or (field == "__all__" and fields), fields
    assert TechnologyNeed.objects.count() == 0


def test_need_lifecycle(as_user, world):
    need = make_need(world.ent_a, status="draft")
    client = as_user("ent_a")
    assert client.patch(f"{URL}{need.pk}/", {"budget_max": "800"}, format="json").json()["budget_max"] == "800.00"
    assert client.post(f"{URL}{need.pk}/publish/").json()["status"] == "published"
    assert client.post(f"{URL}{need.pk}/close/").json()["status"] == "closed"
    frozen = client.patch(f"{URL}{need.pk}/", {"title": "改"}, format="json")
    assert frozen.status_code == 400
    assert client.post(f"{URL}{need.pk}/archive/").json()["status"] == "archived"


def test_need_filters(as_user, world):
    make_need(
        world.ent_a,
        title="挑战",
        is_challenge=True,
        challenge_award=100,
        challenge_closes_on=timezone.localdate() + timedelta(days=5),
    )
    make_need(world.ent_a, title="普通", field_code="biomedicine", required_trl=7)
    client = as_user("broker")

    def titles(query):
        return sorted(r["title"] for r in client.get(URL + query).json()["results"])

    assert titles("?is_challenge=true") == ["挑战"]
    assert titles("?field=biomedicine") == ["普通"]
    assert titles("?required_trl_max=6") == []
    assert titles("?cooperation_mode=license") == ["挑战", "普通"]


def test_enterprise_credit_code_is_validated(as_user, world):
    client = as_user("admin")
    bad = client.post(
        "/api/v1/enterprises/",
        {"name": "坏代码公司", "credit_code": "91510100MA61XXXX01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert "check digit" in bad.json()["error"]["fields"]["credit_code"][0]
