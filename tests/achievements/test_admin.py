"""Institution members use the Django admin for their own achievements only."""

import pytest

from achievements.models import Achievement

from ..factories import make_achievement, technical_field


@pytest.fixture
def member(world):
    user = world.users["inst_a"]
    user.is_staff = True
    user.save()
    return user


def test_member_sees_only_own_achievements_in_admin(client, world, member):
    own = make_achievement(world.inst_a, title="本校成果")
    make_achievement(world.inst_b, title="他校成果")
    client.force_login(member)
    page = client.get("/admin/achievements/achievement/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "本校成果" in html and "他校成果" not in html
    assert client.get(f"/admin/achievements/achievement/{own.pk}/change/").status_code == 200


def test_member_cannot_open_another_institutions_achievement(client, world, member):
    other = make_achievement(world.inst_b, title="他校成果")
    client.force_login(member)
    response = client.get(f"/admin/achievements/achievement/{other.pk}/change/")
    assert response.status_code == 302  # the admin redirects to the index for objects outside the queryset
    assert Achievement.objects.get(pk=other.pk).title == "他校成果"


def test_member_creates_through_admin_via_the_service(client, world, member):
    client.force_login(member)
    response = client.post(
        "/admin/achievements/achievement/add/",
        {
            "title": "后台录入成果",
            "abstract": "简介",
            "keywords": '["电池"]',
            "field": technical_field().pk,
            "trl": 5,
            "maturity_stage": "small_pilot",
            "language": "zh-hans",
            "Patent_achievement-TOTAL_FORMS": 0,
            "Patent_achievement-INITIAL_FORMS": 0,
            "patents-TOTAL_FORMS": 0,
            "patents-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    achievement = Achievement.objects.get(title="后台录入成果")
    assert achievement.institution == world.inst_a
    assert achievement.title_key == "后台录入成果" and "后台录入成果" in achievement.search_document


def test_admin_form_shows_duplicate_title_as_form_error(client, world, member):
    make_achievement(world.inst_a, title="重复成果")
    client.force_login(member)
    response = client.post(
        "/admin/achievements/achievement/add/",
        {
            "title": "重复成果",
            "abstract": "简介",
            "keywords": "[]",
            "field": technical_field().pk,
            "trl": 5,
            "maturity_stage": "small_pilot",
            "language": "zh-hans",
            "patents-TOTAL_FORMS": 0,
            "patents-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert Achievement.objects.filter(title="重复成果").count() == 1


def test_publish_action_in_admin(client, world, member):
    draft = make_achievement(world.inst_a, status="draft")
    client.force_login(member)
    client.post("/admin/achievements/achievement/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "published"


def test_enterprise_user_has_no_admin_access(client, world):
    user = world.users["ent_a"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/achievements/achievement/").status_code == 403
