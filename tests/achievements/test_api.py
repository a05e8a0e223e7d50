from decimal import Decimal

import pytest

from achievements.models import Achievement, AchievementStatus, Patent

from ..factories import make_achievement

URL = "/api/v1/achievements/"

VALID = {
    "title": "一种高安全性固态锂电池电解质",
    "abstract": "本成果提出复合固态电解质，室温离子电导率高，可用于储能电站。",
    "keywords": ["固态电池", "电解质", "储能"],
    "field": "new-energy",
    "trl": 6,
    "transfer_modes": ["license", "use-first-pay-later"],
    "patents": [{"number": "ZL 2021 1 0123456.7", "status": "granted"}],
    "asking_price_min": "50.00",
    "asking_price_max": "200.00",
    "contact_email": "tt@example.edu.cn",
}


def test_create_achievement_as_institution_member_stores_everything(as_user, world):
    response = as_user("inst_a").post(URL, VALID, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["institution"] == {"id": world.inst_a.pk, "name": "甲大学"}
    assert body["status"] == "draft"
    assert body["maturity_stage"] == "pilot"  # TRL 6 -> 中试
    assert body["transfer_modes"] == ["license", "use-first-pay-later"]
    assert body["patents"] == [{"number": "ZL202110123456.7", "status": "granted"}]
    assert body["asking_price_max"] == "200.00"
    achievement = Achievement.objects.get(pk=body["id"])
    assert achievement.created_by == world.users["inst_a"]
    assert "固态锂电池" in achievement.search_document


def test_create_achievement_with_stage_only_derives_trl(as_user, world):
    data = {**VALID, "trl": None, "maturity_stage": "industrial", "patents": []}
    response = as_user("inst_a").post(URL, data, format="json")
    assert response.status_code == 201
    assert (response.json()["trl"], response.json()["maturity_stage"]) == (8, "industrial")


def test_create_achievement_with_contradicting_trl_and_stage_is_rejected(as_user, world):
    response = as_user("inst_a").post(URL, {**VALID, "trl": 2, "maturity_stage": "industrial"}, format="json")
    assert response.status_code == 400
    assert "maturity_stage" in response.json()["error"]["fields"]
    assert Achievement.objects.count() == 0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"trl": 10}, "trl"),
        ({"field": "no-such-field"}, "field"),
        ({"transfer_modes": ["barter"]}, "transfer_modes"),
        ({"asking_price_min": "-1"}, "asking_price_min"),
        ({"asking_price_min": "abc"}, "asking_price_min"),
        ({"keywords": "not a list"}, "keywords"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"patents": [{"number": "hello", "status": "granted"}]}, "patents"),
        ({"patents": [{"number": "ZL202110123456.7", "status": "stolen"}]}, "patents"),
        ({"status": "archived"}, "status"),
        ({"title": "x" * 301}, "title"),
    ],
)
def test_create_achievement_with_bad_field_gets_field_error_and_writes_nothing(as_user, world, change, field):
    response = as_user("inst_a").post(URL, {**VALID, **change}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert Achievement.objects.count() == 0
    assert Patent.objects.count() == 0


def test_price_range_reversed_is_rejected(as_user, world):
    response = as_user("inst_a").post(
        URL, {**VALID, "asking_price_min": "500", "asking_price_max": "100"}, format="json"
    )
    assert response.status_code == 400
    assert Achievement.objects.count() == 0


def test_duplicate_title_in_same_institution_is_reported(as_user, world):
    make_achievement(world.inst_a, title="一种高安全性 固态锂电池电解质")
    response = as_user("inst_a").post(URL, {**VALID, "patents": []}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]
    assert Achievement.objects.count() == 1


def test_same_title_in_another_institution_is_allowed(as_user, world):
    make_achievement(world.inst_b, title=VALID["title"])
    assert as_user("inst_a").post(URL, VALID, format="json").status_code == 201


def test_duplicate_patent_in_same_institution_is_reported(as_user, world):
    existing = make_achievement(world.inst_a, patents=[{"number": "ZL202110123456.7", "status": "filed"}])
    response = as_user("inst_a").post(URL, VALID, format="json")
    assert response.status_code == 400
    assert f"#{existing.pk}" in response.json()["error"]["fields"]["patents"][0]
    assert Achievement.objects.count() == 1


def test_edit_publish_archive_restore_cycle(as_user, world):
    client = as_user("inst_a")
    achievement_id = client.post(URL, VALID, format="json").json()["id"]

    edited = client.patch(f"{URL}{achievement_id}/", {"trl": 8, "keywords": ["固态电池"]}, format="json")
    assert edited.status_code == 200
    assert (edited.json()["trl"], edited.json()["maturity_stage"], edited.json()["keywords"]) == (
        8,
        "industrial",
        ["固态电池"],
    )
    assert edited.json()["patents"] == [{"number": "ZL202110123456.7", "status": "granted"}]

    published = client.post(f"{URL}{achievement_id}/publish/")
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    again = client.post(f"{URL}{achievement_id}/publish/")
    assert again.status_code == 400 and again.json()["error"]["fields"]["status"]

    assert client.post(f"{URL}{achievement_id}/archive/").json()["status"] == "archived"
    blocked = client.patch(f"{URL}{achievement_id}/", {"title": "新标题"}, format="json")
    assert blocked.status_code == 400
    assert Achievement.objects.get(pk=achievement_id).title == VALID["title"]

    assert client.post(f"{URL}{achievement_id}/restore/").json()["status"] == "draft"


def test_status_cannot_be_patched_directly(as_user, world):
    achievement = make_achievement(world.inst_a, status="draft")
    response = as_user("inst_a").patch(f"{URL}{achievement.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 403
    achievement.refresh_from_db()
    assert achievement.status == AchievementStatus.DRAFT


def test_delete_only_drafts(as_user, world):
    draft = make_achievement(world.inst_a, status="draft")
    published = make_achievement(world.inst_a, status="published")
    client = as_user("inst_a")
    assert client.delete(f"{URL}{draft.pk}/").status_code == 204
    assert client.delete(f"{URL}{published.pk}/").status_code == 400
    assert list(Achievement.objects.values_list("pk", flat=True)) == [published.pk]


def test_admin_must_name_the_institution(as_user, world):
    client = as_user("admin")
    missing = client.post(URL, VALID, format="json")
    assert missing.status_code == 400 and "institution" in missing.json()["error"]["fields"]
    created = client.post(URL, {**VALID, "institution": world.inst_b.pk}, format="json")
    assert created.status_code == 201
    assert created.json()["institution"]["id"] == world.inst_b.pk


def test_member_cannot_create_for_another_institution(as_user, world):
    response = as_user("inst_a").post(URL, {**VALID, "institution": world.inst_b.pk}, format="json")
    assert response.status_code == 403
    assert Achievement.objects.count() == 0


def test_list_filters_by_field_maturity_status_and_dates(as_user, world):
    make_achievement(world.inst_a, title="甲", trl=3)
    make_achievement(world.inst_a, title="乙", trl=8, field_code="biomedicine")
    make_achievement(world.inst_a, title="丙", trl=6, status="draft", asking_price_min=Decimal("1"))
    client = as_user("inst_a")

    def titles(query):
        return sorted(r["title"] for r in client.get(URL + query).json()["results"])

    assert titles("?field=biomedicine") == ["乙"]
    assert titles("?maturity_stage=lab") == ["甲"]
    assert titles("?trl_min=6") == ["丙", "乙"]
    assert titles("?status=draft") == ["丙"]
    assert titles("?created_after=2000-01-01T00:00:00Z") == ["丙", "乙", "甲"]
    assert titles("?created_after=2999-01-01T00:00:00Z") == []
    assert [r["title"] for r in client.get(URL + "?ordering=trl").json()["results"]] == ["甲", "丙", "乙"]
    bad = client.get(URL + "?trl_min=abc")
    assert bad.status_code == 400 and "trl_min" in bad.json()["error"]["fields"]


def test_list_filters_by_district_of_institution(as_user, world):
    from ..factories import district

    world.inst_b.district = district("high-tech-zone")
    world.inst_b.save()
    make_achievement(world.inst_a, title="甲")
    make_achievement(world.inst_b, title="乙")
    results = as_user("broker").get(URL + "?district=high-tech-zone").json()["results"]
    assert [r["title"] for r in results] == ["乙"]
