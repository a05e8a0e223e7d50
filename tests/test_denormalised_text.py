"""Every denormalised text follows its source: achievements and experts are searched by their
institution's name, needs by their enterprise's name, the matching index keeps each achievement's
institution district. A change through the API or the admin refreshes each."""

from django.test import Client

from achievements import services as achievement_services
from achievements.models import Achievement, Expert
from core.models import District
from enterprises.models import TechnologyNeed
from matchmaking.index import get_index

from .factories import UserFactory, index_everything, make_achievement, make_need


def ids(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def superuser_client():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True, role="admin"))
    return client


def test_institution_rename_refreshes_its_achievements_and_experts_search(as_user, world):
    achievement = make_achievement(world.inst_a, title="复合固态电解质")
    draft = make_achievement(world.inst_a, title="电池回收工艺", status="draft")
    expert = achievement_services.expert_create(actor=None, institution=world.inst_a, name="张教授", expertise="储能")
    other = make_achievement(world.inst_b, title="水稻育种")
    client = as_user("inst_a")
    assert sorted(ids(client, "/api/v1/achievements/?search=甲大学")) == sorted([achievement.pk, draft.pk])

    response = client.patch(f"/api/v1/institutions/{world.inst_a.pk}/", {"name": "丙理工大学"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "丙理工大学"

    assert ids(client, "/api/v1/achievements/?search=甲大学") == []
    assert sorted(ids(client, "/api/v1/achievements/?search=丙理工大学")) == sorted([achievement.pk, draft.pk])
    assert ids(client, "/api/v1/experts/?search=甲大学") == []
    assert ids(client, "/api/v1/experts/?search=丙理工大学") == [expert.pk]
    assert "丙理工大学" in Expert.objects.get(pk=expert.pk).search_document
    # Only the search text changed; another institution's rows are untouched.
    assert Achievement.objects.get(pk=other.pk).search_document == other.search_document
    assert Achievement.objects.get(pk=achievement.pk).updated_at == achievement.updated_at


def test_institution_rename_in_the_admin_refreshes_the_search(world):
    achievement = make_achievement(
        world.inst_a, title="复合固态电解质", patents=[{"number": "CN202310000001.1", "status": "granted"}]
    )
    response = superuser_client().post(
        f"/admin/achievements/institution/{world.inst_a.pk}/change/",
        {"name": "丁大学", "short_name": "", "kind": "university", "district": "", "website": "", "description": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Achievement.objects.get(pk=achievement.pk).search_document
    assert "丁大学" in document and "甲大学" not in document
    assert "cn202310000001.1" in document  # the patent numbers stay in it


def test_enterprise_rename_refreshes_its_needs_search(as_user, world):
    need = make_need(world.ent_a, title="寻求视觉质检方案")
    other = make_need(world.ent_b, title="寻求焊接机器人")
    broker = as_user("broker")
    assert ids(broker, "/api/v1/needs/?search=甲科技") == [need.pk]

    response = as_user("ent_a").patch(
        f"/api/v1/enterprises/{world.ent_a.pk}/", {"name": "戊智能有限公司"}, format="json"
    )
    assert response.status_code == 200 and response.json()["name"] == "戊智能有限公司"

    broker = as_user("broker")
    assert ids(broker, "/api/v1/needs/?search=甲科技") == []
    assert ids(broker, "/api/v1/needs/?search=戊智能") == [need.pk]
    assert TechnologyNeed.objects.get(pk=other.pk).search_document == other.search_document


def test_enterprise_rename_in_the_admin_refreshes_the_search(world):
    need = make_need(world.ent_a, title="寻求视觉质检方案")
    enterprise = world.ent_a
    response = superuser_client().post(
        f"/admin/enterprises/enterprise/{enterprise.pk}/change/",
        {
            "name": "己科技有限公司",
            "credit_code": enterprise.credit_code,
            "industry": "",
            "district": "",
            "size": enterprise.size,
            "description": "",
            "website": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = TechnologyNeed.objects.get(pk=need.pk).search_document
    assert "己科技有限公司" in document and "甲科技" not in document


def test_need_edited_in_the_admin_is_searched_by_its_new_title(world):
    need = make_need(world.ent_a, title="寻求视觉质检方案")
    client = superuser_client()
    page = client.get(f"/admin/enterprises/technologyneed/{need.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["title"] = "寻求激光焊接工艺"
    data["cooperation_modes"] = [m.pk for m in need.cooperation_modes.all()]
    response = client.post(f"/admin/enterprises/technologyneed/{need.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = TechnologyNeed.objects.get(pk=need.pk).search_document
    assert "寻求激光焊接工艺" in document and "视觉质检" not in document


def test_expert_edited_in_the_admin_is_searched_by_its_new_name(world):
    expert = achievement_services.expert_create(actor=None, institution=world.inst_a, name="张教授", expertise="储能")
    response = superuser_client().post(
        f"/admin/achievements/expert/{expert.pk}/change/",
        {
            "institution": world.inst_a.pk,
            "name": "李研究员",
            "title": "",
            "field": "",
            "expertise": "储能",
            "email": "",
            "phone": "",
            "language": expert.language,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Expert.objects.get(pk=expert.pk).search_document
    assert "李研究员" in document and "张教授" not in document


def test_institution_district_change_reaches_the_matching_index(world, settings, django_capture_on_commit_callbacks):
    """The stored index keeps each achievement's institution district (structured score and the
    'same district' reason): a district change re-indexes and re-matches its achievements."""
    achievement = make_achievement(world.inst_a, title="复合固态电解质")
    index_everything()
    assert get_index().entry("achievement", achievement.pk).attrs["district"] is None

    settings.MATCHING_ON_SAVE = True
    with django_capture_on_commit_callbacks(execute=True):
        achievement_services.institution_update(
            institution=world.inst_a, actor=None, district=District.objects.get(code="wuhou")
        )

    assert get_index().entry("achievement", achievement.pk).attrs["district"] == "wuhou"
