"""Who may do what: a matrix of role x endpoint. A denied read leaks nothing (404 for rows
the role may not see); a denied write leaves the row exactly as it was."""

import pytest
from django.forms.models import model_to_dict

from achievements.models import Achievement, Expert, Institution
from enterprises.models import Enterprise, TechnologyNeed

from .factories import ExpertFactory, make_achievement, make_need

ROLES = ["anon", "inst_a", "inst_b", "ent_a", "ent_b", "broker", "organiser", "admin"]


def expect(ok: set, ok_status: int, hidden: set = frozenset(), default: int = 403):
    """Map every role to the status it must get: ok roles succeed, hidden roles get 404."""
    result = {}
    for role in ROLES:
        if role == "anon":
            result[role] = 401
        elif role in ok:
            result[role] = ok_status
        elif role in hidden:
            result[role] = 404
        else:
            result[role] = default
    return result


OTHERS_A = {"inst_b", "ent_a", "ent_b", "broker", "organiser"}
OTHERS_E = {"inst_a", "inst_b", "ent_b", "broker", "organiser"}


@pytest.fixture
def rows(world):
    return {
        "achievement_draft": make_achievement(world.inst_a, title="草稿成果", status="draft"),
        "achievement_published": make_achievement(world.inst_a, title="已发布成果"),
        "need_draft": make_need(world.ent_a, title="草稿需求", status="draft"),
        "need_public": make_need(world.ent_a, title="公开需求"),
        "need_brokers": make_need(world.ent_a, title="保密需求", confidentiality="brokers"),
        "expert": ExpertFactory(institution=world.inst_a),
    }


def snapshot(obj):
    fresh = type(obj).objects.get(pk=obj.pk)
    return {**model_to_dict(fresh), "updated_at": getattr(fresh, "updated_at", None)}


def url_for(kind, obj):
    base = "/api/v1/achievements/" if kind.startswith("achievement") else "/api/v1/needs/"
    return f"{base}{obj.pk}/"


READS = {
    "achievement_draft": expect({"inst_a", "admin"}, 200, hidden=OTHERS_A),
    "achievement_published": expect(set(ROLES), 200),
    "need_draft": expect({"ent_a", "admin"}, 200, hidden=OTHERS_E),
    "need_public": expect(set(ROLES), 200),
    "need_brokers": expect({"ent_a", "broker", "admin"}, 200, hidden=OTHERS_E - {"broker"}),
}


@pytest.mark.parametrize("kind", list(READS))
@pytest.mark.parametrize("role", ROLES)
def test_detail_read(as_user, rows, kind, role):
    response = as_user(None if role == "anon" else role).get(url_for(kind, rows[kind]))
    assert response.status_code == READS[kind][role]
    if response.status_code == 200:
        assert response.json()["id"] == rows[kind].pk
    else:
        assert set(response.json()) == {"error"}
        assert rows[kind].title not in response.content.decode()


@pytest.mark.parametrize("role", ROLES[1:])
def test_lists_and_counts_hide_what_a_role_may_not_see(as_user, rows, role):
    client = as_user(role)
    for kind, base in (("achievement", "/api/v1/achievements/"), ("need", "/api/v1/needs/")):
        body = client.get(base).json()
        visible = {k for k in READS if k.startswith(kind) and READS[k][role] == 200}
        assert {r["id"] for r in body["results"]} == {rows[k].pk for k in visible}
        assert body["count"] == len(visible)


WRITES = {
    # (kind, method, path suffix, payload): expected status by role
    ("achievement_published", "patch", "", (("title", "改了"),)): expect({"inst_a", "admin"}, 200),
    ("achievement_draft", "patch", "", (("title", "改了"),)): expect({"inst_a", "admin"}, 200, hidden=OTHERS_A),
    ("achievement_draft", "post", "publish/", None): expect({"inst_a", "admin"}, 200, hidden=OTHERS_A),
    ("achievement_published", "post", "archive/", None): expect({"inst_a", "admin"}, 200),
    ("achievement_draft", "delete", "", None): expect({"inst_a", "admin"}, 204, hidden=OTHERS_A),
    ("need_public", "patch", "", (("title", "改了"),)): expect({"ent_a", "admin"}, 200),
    ("need_brokers", "patch", "", (("title", "改了"),)): expect({"ent_a", "admin"}, 200, hidden=OTHERS_E - {"broker"}),
    ("need_draft", "post", "publish/", None): expect({"ent_a", "admin"}, 200, hidden=OTHERS_E),
    ("need_public", "post", "close/", None): expect({"ent_a", "admin"}, 200),
    ("need_draft", "delete", "", None): expect({"ent_a", "admin"}, 204, hidden=OTHERS_E),
}


@pytest.mark.parametrize("case", list(WRITES), ids=lambda c: f"{c[0]}-{c[1]}-{c[2] or 'self'}")
@pytest.mark.parametrize("role", ROLES)
def test_write(as_user, rows, case, role):
    kind, method, suffix, payload = case
    obj = rows[kind]
    before = snapshot(obj)
    client = as_user(None if role == "anon" else role)
    response = getattr(client, method)(url_for(kind, obj) + suffix, dict(payload or ()), format="json")
    expected = WRITES[case][role]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert snapshot(obj) == before
        assert "error" in response.json()
    elif method == "delete":
        assert not type(obj).objects.filter(pk=obj.pk).exists()
    else:
        assert snapshot(obj) != before


ORG_WRITES = {
    "institution": (
        "/api/v1/institutions/{pk}/",
        lambda w: w.inst_a,
        {"description": "新简介"},
        expect({"inst_a", "admin"}, 200),
    ),
    "enterprise": (
        "/api/v1/enterprises/{pk}/",
        lambda w: w.ent_a,
        {"description": "新简介"},
        expect({"ent_a", "admin"}, 200),
    ),
    "expert": ("/api/v1/experts/{pk}/", None, {"expertise": "新专长"}, expect({"inst_a", "admin"}, 200)),
}


@pytest.mark.parametrize("kind", list(ORG_WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_organisation_profile_write(as_user, world, rows, kind, role):
    path, getter, payload, expected = ORG_WRITES[kind]
    obj = getter(world) if getter else rows["expert"]
    before = snapshot(obj)
    response = as_user(None if role == "anon" else role).patch(path.format(pk=obj.pk), payload, format="json")
    assert response.status_code == expected[role]
    assert (snapshot(obj) == before) == (expected[role] != 200)


CREATES = {
    "achievement": (
        "/api/v1/achievements/",
        Achievement,
        {"title": "新成果", "abstract": "简介", "field": "new-energy", "trl": 5},
        {**expect({"inst_a", "inst_b"}, 201), "admin": 400},
    ),
    "need": (
        "/api/v1/needs/",
        TechnologyNeed,
        {"title": "新需求", "description": "描述", "field": "new-energy"},
        {**expect({"ent_a", "ent_b"}, 201), "admin": 400},
    ),
    "expert": (
        "/api/v1/experts/",
        Expert,
        {"name": "新专家", "expertise": "电池"},
        {**expect({"inst_a", "inst_b"}, 201), "admin": 400},
    ),
    "institution": ("/api/v1/institutions/", Institution, {"name": "新大学"}, expect({"admin"}, 201)),
    "enterprise": (
        "/api/v1/enterprises/",
        Enterprise,
        {"name": "新企业", "credit_code": "91510100MA61XXXX00"},
        expect({"admin"}, 201),
    ),
}


@pytest.mark.parametrize("kind", list(CREATES))
@pytest.mark.parametrize("role", ROLES)
def test_create(as_user, world, kind, role):
    path, model, payload, expected = CREATES[kind]
    if kind == "enterprise":
        from .factories import valid_uscc

        payload = {**payload, "credit_code": valid_uscc()}
    before = model.objects.count()
    response = as_user(None if role == "anon" else role).post(path, payload, format="json")
    assert response.status_code == expected[role], response.content
    assert model.objects.count() == before + (1 if expected[role] == 201 else 0)


def test_export_contains_only_visible_rows(as_user, rows):
    content = as_user("ent_b").get("/api/v1/needs/export/?file_format=csv").content.decode("utf-8-sig")
    assert "公开需求" in content
    assert "保密需求" not in content and "草稿需求" not in content
    broker = as_user("broker").get("/api/v1/needs/export/?file_format=csv").content.decode("utf-8-sig")
    assert "保密需求" in broker and "草稿需求" not in broker
