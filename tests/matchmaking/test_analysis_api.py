"""Need analysis as enterprises, brokers and the committee use it: the draft API, the stored
analysis of a published need, the web form, and what each may see in them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enterprises.models import TechnologyNeed
from matchmaking.analysis import analyse as analyse_module
from matchmaking.analysis import suggestions
from matchmaking.analysis.learned import forget_cached
from matchmaking.analysis.services import analyse_stored_need, rebuild_learned
from matchmaking.models import AnalysisModel, Match, NeedAnalysis

from ..factories import ExpertFactory, index_everything, make_achievement, make_need

URL = "/api/v1/needs/analyse/"
DRAFT = {
    "title": "储能电池热失控预警",
    "description": "我们需要一种储能电池热失控预警技术，在热失控发生前30分钟发出预警，误报率低于1%。"
    "另外，电池包的液冷散热需要改进，温差控制在5℃以内。",
}


@pytest.fixture(autouse=True)
def _hashing_scores_count(monkeypatch):
    """The tests' hashing encoder gives related records calibrated scores near zero: show them."""
    monkeypatch.setattr(analyse_module, "MIN_PREVIEW_SCORE", 0.0)


@pytest.fixture
def platform(world):
    """Published achievements, an expert, a public and a brokers-only need, indexed; and the
    learned analysis built from them, as the daily task builds it."""
    records = [
        make_achievement(
            world.inst_a,
            title="储能电池热失控早期预警系统",
            abstract="基于气体传感的储能电池热失控早期预警，提前30分钟报警。",
            keywords=["热失控", "预警"],
        ),
        make_achievement(
            world.inst_b,
            title="电池包液冷散热优化",
            abstract="液冷板流道优化，电池包温差小于3℃。",
            keywords=["液冷", "散热"],
        ),
        make_achievement(
            world.inst_a,
            title="水稻抗病育种",
            abstract="分子标记辅助选择培育抗稻瘟病水稻。",
            keywords=["水稻"],
            field_code="modern-agriculture",
        ),
        make_achievement(world.inst_a, title="MARKER草稿成果热失控", abstract="热失控预警草稿。", status="draft"),
    ]
    ExpertFactory(institution=world.inst_a, name="王教授", expertise="储能电池安全与热失控预警")
    public = make_need(
        world.ent_b,
        title="储能电站热失控监测",
        description="储能电站需要热失控监测与预警。",
        required_trl=6,
        budget_min=Decimal("20"),
        budget_max=Decimal("80"),
    )
    hidden = make_need(
        world.ent_b,
        title="SECRETMARKER保密热失控需求",
        description="保密的储能电池热失控预警需求。",
        confidentiality="brokers",
        required_trl=8,
    )
    index_everything()
    rebuild_learned()
    yield {"records": records, "public": public, "hidden": hidden}
    forget_cached()


def test_an_enterprise_analyses_a_draft_and_nothing_is_written(as_user, platform):
    api = as_user("ent_a")
    before = (TechnologyNeed.objects.count(), NeedAnalysis.objects.count(), Match.objects.count())
    response = api.post(URL, DRAFT, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "language",
        "semantic",
        "model_version",
        "terms",
        "field_suggestions",
        "suggestions",
        "points",
        "hints",
        "preview",
    }
    assert body["language"] == "zh-hans" and body["semantic"] is True
    assert body["model_version"] == AnalysisModel.objects.get().version
    terms = [t["term"] for t in body["terms"]]
    assert any("热失控" in t for t in terms[:3])
    assert body["field_suggestions"][0]["code"] == "new-energy"
    assert 0 < body["field_suggestions"][0]["confidence"] <= 1
    assert len(body["points"]) == 2  # the warning and the cooling are different sub-problems
    assert {p["coverage"] for p in body["points"]} <= {"strong", "some", "none"}
    assert all(p["uncovered_advice"] == (p["coverage"] == "none") for p in body["points"])
    titles = [a["title"] for a in body["preview"]["achievements"]]
    assert titles[0] == "储能电池热失控早期预警系统"
    assert [e["name"] for e in body["preview"]["experts"]] == ["王教授"]
    assert {h["code"] for h in body["hints"]} == {"no_budget", "no_timeline"}  # it has a measurable target
    assert (TechnologyNeed.objects.count(), NeedAnalysis.objects.count(), Match.objects.count()) == before


def test_the_analysis_shows_only_what_the_reader_may_see(as_user, platform, monkeypatch):
    # the tests' hashing encoder gives needs low calibrated similarities: count every candidate
    monkeypatch.setattr(suggestions, "MIN_SIMILARITY", 0.0)
    text = as_user("ent_a").post(URL, DRAFT, format="json").content.decode()
    assert "SECRETMARKER" not in text and "MARKER草稿" not in text
    # the brokers-only need is not among the similar needs of an enterprise that does not own it
    body = as_user("ent_a").post(URL, DRAFT, format="json").json()
    assert body["suggestions"]["similar_needs"] == 1
    broker = as_user("broker").post(URL, DRAFT, format="json").json()
    assert broker["suggestions"]["similar_needs"] == 2


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "x", "description": ""}, "description", "Write the need's description"),
        ({"title": "x"}, "description", "Write the need's description"),
        ({"description": "热" * 10_001}, "description", "too long"),
        ({"description": "储能电池热失控预警", "language": "fr"}, "language", "Unknown language"),
        ({"description": "1234 5678 ——"}, "description", "no Chinese or English"),
        ({"description": "储能电池热失控预警", "need": 999_999}, "need", "No such need"),
    ],
)
def test_bad_input_gets_a_clear_error(as_user, world, payload, field, message, settings):
    settings.LANGUAGE_CODE = "en"
    response = as_user("ent_a").post(URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])


def test_a_need_the_caller_may_not_see_answers_as_missing(as_user, platform, monkeypatch):
    monkeypatch.setattr(suggestions, "MIN_SIMILARITY", 0.0)
    hidden = platform["hidden"].pk
    response = as_user("ent_a").post(URL, {**DRAFT, "need": hidden}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["error"]["fields"]["need"] == ["No such need."]
    own = as_user("ent_b").post(URL, {**DRAFT, "need": hidden}, format="json")
    assert own.status_code == 200
    assert own.json()["suggestions"]["similar_needs"] == 1  # the other one: itself is left out


@pytest.mark.parametrize("role", ["inst_a", None])
def test_institutions_and_anonymous_callers_may_not_analyse(as_user, world, role):
    response = as_user(role).post(URL, DRAFT, format="json")
    assert response.status_code == (403 if role else 401)


def test_a_stored_analysis_is_for_brokers_and_the_committee_and_refreshed_only_on_change(as_user, platform):
    need = platform["public"]
    url = reverse("need-analysis", kwargs={"pk": need.pk})
    assert as_user("broker").get(url).status_code == 202
    stored = analyse_stored_need(need=need)
    again = analyse_stored_need(need=need)
    assert again.pk == stored.pk and again.analysed_at == stored.analysed_at  # unchanged text: skipped
    body = as_user("broker").get(url).json()
    assert body["terms"] and body["points"]
    assert "储能电站热失控监测" not in [a["title"] for a in body["preview"]["achievements"]]
    assert as_user("organiser").get(url).status_code == 200
    assert as_user("ent_a").get(url).status_code == 404
    assert as_user("inst_a").get(url).status_code == 404
    hidden_url = reverse("need-analysis", kwargs={"pk": platform["hidden"].pk})
    assert as_user("ent_a").get(hidden_url).status_code == 404
    need.title = "储能电站热失控与消防联动"
    need.save()
    changed = analyse_stored_need(need=need)
    assert changed.text_hash != stored.text_hash


def test_the_enterprise_form_shows_the_analysis_and_keeps_the_input(client, world, platform):
    client.force_login(world.users["ent_a"])
    before = TechnologyNeed.objects.count()
    response = client.post(
        reverse("enterprise-need-create"),
        {**DRAFT, "action": "analyse", "budget_max": "50"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "需求解构" in page and "储能电池热失控早期预警系统" in page
    assert "储能电池热失控预警" in page  # the title typed is still in the form
    assert 'data-take="field"' in page and "SECRETMARKER" not in page
    assert TechnologyNeed.objects.count() == before
    empty = client.post(
        reverse("enterprise-need-create"),
        {"title": "x", "description": "", "action": "analyse"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "请先填写需求描述，再进行分析。" in empty.content.decode()
    assert TechnologyNeed.objects.count() == before


def test_brokers_and_the_committee_read_a_need_analysis_page(client, world, platform):
    need = platform["public"]
    url = reverse("broker-need-analysis", kwargs={"pk": need.pk})
    client.force_login(world.users["broker"])
    preparing = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "window.location.reload()" in preparing and "立即刷新" in preparing  # refreshes itself, no meta refresh
    analyse_stored_need(need=need)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "需求解构" in page and "储能电池热失控早期预警系统" in page
    assert "window.location.reload()" not in page and "data-take" not in page
    client.force_login(world.users["organiser"])
    assert client.get(url).status_code == 200
    for name in ("ent_a", "ent_b", "inst_a"):
        client.force_login(world.users[name])
        assert client.get(url).status_code == 403
    client.force_login(world.users["organiser"])
    hidden = reverse("broker-need-analysis", kwargs={"pk": platform["hidden"].pk})
    assert client.get(hidden).status_code == 404  # the committee does not see brokers-only needs


def test_analyses_are_limited_per_user_across_the_api_and_the_form(as_user, client, world, platform, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "analysis": "2/min"},
    }
    api = as_user("ent_a")
    assert [api.post(URL, DRAFT, format="json").status_code for _ in range(2)] == [200, 200]
    refused = api.post(URL, DRAFT, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    client.force_login(world.users["ent_a"])
    page = client.post(
        reverse("enterprise-need-create"), {**DRAFT, "action": "analyse"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Too many analyses in a short time" in page and 'id="analysis"' not in page
    assert as_user("ent_b").post(URL, DRAFT, format="json").status_code == 200  # counted per user


def test_the_preview_leaves_out_pairs_without_relevance(as_user, platform, monkeypatch):
    monkeypatch.setattr(analyse_module, "MIN_PREVIEW_SCORE", 1.01)
    body = as_user("ent_a").post(URL, DRAFT, format="json").json()
    assert body["preview"] == {"achievements": [], "experts": []}


def test_a_stored_analysis_reads_in_the_readers_language(as_user, platform):
    need = platform["public"]
    analyse_stored_need(need=need)  # stored in the worker's language (Chinese here)
    url = reverse("need-analysis", kwargs={"pk": need.pk})
    english = as_user("broker").get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["field_suggestions"][0]["name"] == "New energy"
    assert all(
        not any("\u4e00" <= ch <= "\u9fff" for ch in h["message"]) or "效率" in h["message"] for h in english["hints"]
    )
    chinese = as_user("broker").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["field_suggestions"][0]["name"] == "新能源"


def test_budgets_come_only_from_contracts_the_reader_may_see(as_user, platform, monkeypatch):
    from outcomes.models import TechnologyContract

    monkeypatch.setattr(suggestions, "MIN_SIMILARITY", 0.0)
    monkeypatch.setattr(suggestions, "MIN_EVIDENCE", 1)
    public = platform["public"]
    match = Match.objects.filter(need=public).first() or Match.objects.create(
        need=public, achievement=platform["records"][0], score=0.5, rank=1
    )
    TechnologyContract.objects.create(
        contract_type="transfer", title="合同", amount=Decimal("8888"), signed_on="2026-06-01",
        institution=match.achievement.institution, enterprise=public.enterprise, match=match,
    )  # fmt: skip
    outsider = as_user("ent_a").post(URL, DRAFT, format="json").json()["suggestions"]["budget"]
    assert outsider["because_contracts"] == 0 and outsider["max"] < 8888
    party = as_user("ent_b").post(URL, DRAFT, format="json").json()["suggestions"]["budget"]
    assert party["because_contracts"] == 1 and party["max"] == 8888


def test_without_meaning_the_points_have_no_coverage_verdict(as_user, platform, monkeypatch):
    import matchmaking.encoders as encoders

    monkeypatch.setattr(encoders, "loaded_encoders", lambda: None)
    monkeypatch.setattr("matchmaking.search.warm_up_encoders", lambda: None)
    body = as_user("ent_a").post(URL, DRAFT, format="json").json()
    assert body["semantic"] is False
    assert {p["coverage"] for p in body["points"]} == {"unknown"}
    assert not any(p["uncovered_advice"] for p in body["points"])


def test_the_stored_analysis_is_the_committees_view_and_follows_the_platform(as_user, platform, monkeypatch):
    from achievements.models import AchievementStatus

    monkeypatch.setattr(suggestions, "MIN_SIMILARITY", 0.0)
    monkeypatch.setattr(suggestions, "MIN_EVIDENCE", 1)
    need = platform["public"]
    stored = analyse_stored_need(need=need)
    # the brokers-only need (TRL 8) is not among the similar needs behind the stored figures
    assert stored.result["suggestions"]["similar_needs"] == 0
    url = reverse("need-analysis", kwargs={"pk": need.pk})
    shown = [a["title"] for a in as_user("broker").get(url).json()["preview"]["achievements"]]
    assert "储能电池热失控早期预警系统" in shown
    archived = platform["records"][0]
    archived.status = AchievementStatus.ARCHIVED
    archived.save(update_fields=["status"])
    body = as_user("broker").get(url).json()
    assert archived.title not in [a["title"] for a in body["preview"]["achievements"]]
    assert all(archived.title not in [a["title"] for a in p["achievements"]] for p in body["points"])
    # adding a deadline changes what the hints say: the stored analysis is redone
    import datetime

    need.deadline = datetime.date(2027, 6, 30)
    need.save(update_fields=["deadline"])
    assert analyse_stored_need(need=need).text_hash != stored.text_hash


def test_the_form_refuses_what_the_api_refuses(client, world, platform):
    client.force_login(world.users["ent_a"])
    url = reverse("enterprise-need-create")
    long_title = client.post(url, {**DRAFT, "title": "热" * 301, "action": "analyse"}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="analysis"' not in long_title.content.decode() and "300" in long_title.content.decode()
    language = client.post(url, {**DRAFT, "language": "fr", "action": "analyse"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Unknown language" in language.content.decode()


def test_the_edit_form_keeps_the_dates_in_chinese(client, world):
    """A localised date (2027/12/10) in a date input shows blank and is lost on save."""
    import datetime

    need = make_need(world.ent_a, title="带截止日期的需求", deadline=datetime.date(2027, 12, 10))
    client.force_login(world.users["ent_a"])
    page = client.get(reverse("enterprise-need-edit", kwargs={"pk": need.pk}), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert 'value="2027-12-10"' in page.content.decode()


def test_the_analysis_task_loads_no_model_when_every_stored_analysis_is_current(platform, monkeypatch):
    from matchmaking import encoders, tasks

    need = platform["public"]
    analyse_stored_need(need=need)

    def no_model():
        raise AssertionError("a model was loaded for analyses that are current")

    monkeypatch.setattr(encoders, "get_encoders", no_model)
    assert tasks.analyse_needs(need_ids=[need.pk]) == 0
    need.title = "储能电站热失控与消防联动"
    need.save()
    monkeypatch.undo()
    assert tasks.analyse_needs(need_ids=[need.pk]) == 1


def test_a_stored_analysis_read_by_many_takes_no_figure_from_contracts(as_user, platform, world, monkeypatch):
    from outcomes.models import TechnologyContract

    monkeypatch.setattr(suggestions, "MIN_SIMILARITY", 0.0)
    monkeypatch.setattr(suggestions, "MIN_EVIDENCE", 1)
    public = platform["public"]
    match = Match.objects.filter(need=public).first() or Match.objects.create(
        need=public, achievement=platform["records"][0], score=0.5, rank=1
    )
    TechnologyContract.objects.create(
        contract_type="transfer", title="合同", amount=Decimal("8888"), signed_on="2026-06-01",
        institution=match.achievement.institution, enterprise=public.enterprise, match=match,
    )  # fmt: skip
    other = make_need(world.ent_a, title="储能电站热失控预警需求", description="储能电站需要热失控监测与预警系统。")
    index_everything()
    analyse_stored_need(need=other)
    budget = as_user("broker").get(reverse("need-analysis", kwargs={"pk": other.pk})).json()["suggestions"]["budget"]
    assert budget is None or (budget["because_contracts"] == 0 and budget["max"] != 8888)
