from core.search import query_terms

from ..factories import make_achievement, make_need


def test_query_terms_segment_chinese_and_keep_english():
    assert query_terms("固态锂电池回收") == ["固态", "锂电池", "回收"]
    assert query_terms("Solid-state  battery, recycling") == ["solid", "state", "battery", "recycling"]
    assert query_terms("基于深度学习的缺陷检测") == ["深度", "学习", "缺陷", "检测"]
    assert query_terms("   ") == []


def test_search_chinese_without_spaces_finds_and_ranks_title_hits_first(as_user, world):
    body_hit = make_achievement(
        world.inst_a, title="储能系统集成方案", abstract="核心是回收的废旧锂电池梯次利用与电池管理。"
    )
    title_hit = make_achievement(world.inst_a, title="废旧锂电池回收新工艺", abstract="湿法冶金提取锂。")
    make_achievement(
        world.inst_a,
        title="水稻抗病育种",
        abstract="分子育种技术。",
        field_code="modern-agriculture",
        keywords=["水稻"],
    )

    results = as_user("broker").get("/api/v1/achievements/?search=锂电池回收").json()["results"]

    assert [r["id"] for r in results] == [title_hit.pk, body_hit.pk]


def test_search_every_term_must_match(as_user, world):
    make_achievement(world.inst_a, title="锂电池隔膜", abstract="隔膜材料。")
    results = as_user("broker").get("/api/v1/achievements/?search=锂电池 水稻").json()["results"]
    assert results == []


def test_search_english_is_case_insensitive(as_user, world):
    english = make_achievement(
        world.inst_a,
        title="Perovskite Solar Cell with 25% Efficiency",
        abstract="A stable perovskite film.",
        language="en",
        keywords=["Photovoltaic"],
    )
    results = as_user("broker").get("/api/v1/achievements/?search=PEROVSKITE photovoltaic").json()["results"]
    assert [r["id"] for r in results] == [english.pk]


def test_search_needs_by_keyword_and_enterprise_name(as_user, world):
    need = make_need(world.ent_a, title="寻求视觉质检方案", description="产线需要缺陷检测。", keywords=["机器视觉"])
    client = as_user("broker")
    assert [r["id"] for r in client.get("/api/v1/needs/?search=机器视觉").json()["results"]] == [need.pk]
    assert [r["id"] for r in client.get("/api/v1/needs/?search=甲科技").json()["results"]] == [need.pk]


def test_search_with_explicit_ordering_keeps_that_order(as_user, world):
    a = make_achievement(world.inst_a, title="电池一", trl=3)
    b = make_achievement(world.inst_a, title="电池二", trl=9)
    results = as_user("broker").get("/api/v1/achievements/?search=电池&ordering=-trl").json()["results"]
    assert [r["id"] for r in results] == [b.pk, a.pk]


def test_institutions_and_experts_are_searchable_by_name(api, as_user, world):
    from achievements.services import expert_create

    expert_create(actor=None, institution=world.inst_a, name="张教授", expertise="固态电池电解质")
    as_user("ent_a")
    institutions = api.get("/api/v1/institutions/", {"search": "甲大学"}).json()
    assert [i["name"] for i in institutions["results"]] == ["甲大学"]
    experts = api.get("/api/v1/experts/", {"search": "固态电池"}).json()
    assert [e["name"] for e in experts["results"]] == ["张教授"]
