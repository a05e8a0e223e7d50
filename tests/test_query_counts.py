"""No N+1: every list endpoint runs the same, exact number of queries for 1 and for 3 rows."""

import pytest

from .factories import EnterpriseFactory, ExpertFactory, InstitutionFactory, district, make_achievement, make_need


def make_rows(kind, n, world):
    for i in range(n):
        if kind == "achievements":
            make_achievement(
                world.inst_a, title=f"成果{i}", patents=[{"number": f"ZL20211012345{i}.1", "status": "granted"}]
            )
        elif kind == "needs":
            make_need(world.ent_a, title=f"需求{i}", region=district())
        elif kind == "experts":
            ExpertFactory(institution=world.inst_a)
        elif kind == "institutions":
            InstitutionFactory(district=district())
        elif kind == "enterprises":
            EnterpriseFactory(district=district())


# count + page + one prefetch per many-valued relation
EXPECTED = {"achievements": 4, "needs": 3, "experts": 2, "institutions": 2, "enterprises": 2}


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("role", ["broker", "inst_a", "ent_a", "admin"])
def test_list_query_count_is_constant(as_user, world, django_assert_num_queries, kind, rows, role):
    make_rows(kind, rows, world)
    client = as_user(role)
    with django_assert_num_queries(EXPECTED[kind]):
        response = client.get(f"/api/v1/{kind}/")
    assert response.status_code == 200
    assert response.json()["count"] >= rows


@pytest.mark.parametrize("rows", [1, 3])
def test_searched_list_query_count_is_constant(as_user, world, django_assert_num_queries, rows):
    make_rows("achievements", rows, world)
    client = as_user("broker")
    with django_assert_num_queries(4):
        response = client.get("/api/v1/achievements/?search=固态电池")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("kind", ["fields", "districts", "transfer-modes"])
def test_reference_lists_take_one_query(as_user, world, django_assert_num_queries, kind):
    client = as_user("broker")
    with django_assert_num_queries(1):
        response = client.get(f"/api/v1/{kind}/")
    assert len(response.json()) >= 5


@pytest.mark.parametrize("rows", [1, 3])
def test_export_query_count_is_constant(as_user, world, django_assert_num_queries, rows):
    make_rows("achievements", rows, world)
    client = as_user("broker")
    # the same reads as before, plus the audit entry of the export
    with django_assert_num_queries(4):
        response = client.get("/api/v1/achievements/export/?file_format=csv")
    assert response.status_code == 200
