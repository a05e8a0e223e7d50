import pytest

from matchmaking import services
from matchmaking.models import Match, MatchEvent, Stage

from ..factories import index_everything, make_achievement, make_need


@pytest.fixture
def matched(world):
    public_achievement = make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    draft = make_achievement(world.inst_a, title="固态电池隔膜草稿", keywords=["固态电池"], status="draft")
    other = make_achievement(world.inst_b, title="固态电池回收", keywords=["固态电池"])
    public_need = make_need(world.ent_a, title="寻求固态电池技术", keywords=["固态电池"])
    secret_need = make_need(world.ent_b, title="寻求固态电池保密方案", keywords=["固态电池"], confidentiality="brokers")
    index_everything()
    services.rematch_needs([public_need.pk, secret_need.pk])
    return {
        "public_achievement": public_achievement,
        "draft": draft,
        "other": other,
        "public_need": public_need,
        "secret_need": secret_need,
    }


def ids(response):
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {(r["need"]["id"], r["achievement"]["id"]) for r in rows}


def test_matches_only_use_published_achievements(matched):
    assert not Match.objects.filter(achievement=matched["draft"]).exists()
    assert Match.objects.filter(need=matched["public_need"]).count() == 2


def test_broker_sees_all_matches_and_inbox_of_own(as_user, world, matched):
    client = as_user("broker")
    everything = client.get("/api/v1/matches/")
    assert everything.json()["count"] == 4
    inbox = client.get("/api/v1/matches/?assigned=me")
    assert inbox.json()["count"] == 4  # the only broker gets every case
    assert client.get("/api/v1/matches/?stage=declined").json()["count"] == 0
    assert client.get("/api/v1/matches/?score_min=1.01").json()["count"] == 0
    assert client.get("/api/v1/matches/?assigned=bogus").status_code == 400


def test_enterprise_sees_matches_of_own_needs_only(as_user, world, matched):
    response = as_user("ent_a").get("/api/v1/matches/")
    assert {n for n, _ in ids(response)} == {matched["public_need"].pk}
    assert as_user("ent_b").get(f"/api/v1/needs/{matched['public_need'].pk}/matches/").status_code == 200
    own = as_user("ent_b").get(f"/api/v1/needs/{matched['secret_need'].pk}/matches/")
    assert len(own.json()) == 2


def test_institution_sees_only_public_needs(as_user, world, matched):
    response = as_user("inst_b").get(f"/api/v1/achievements/{matched['other'].pk}/matches/")
    assert {n for n, _ in ids(response)} == {matched["public_need"].pk}
    hidden = as_user("inst_a").get(f"/api/v1/needs/{matched['secret_need'].pk}/matches/")
    assert hidden.status_code == 404


def test_organiser_sees_no_matches(as_user, world, matched):
    assert as_user("organiser").get("/api/v1/matches/").json()["count"] == 0


def test_need_matches_come_ranked_with_readable_explanations(as_user, world, matched):
    rows = (
        as_user("broker").get(f"/api/v1/needs/{matched['public_need'].pk}/matches/", HTTP_ACCEPT_LANGUAGE="en").json()
    )
    assert [r["rank"] for r in rows] == [1, 2]
    reasons = {r["code"]: r["text"] for r in rows[0]["explanation"]["reasons"]}
    assert reasons["same_field"] == "Same technical field"
    chinese = as_user("broker").get(f"/api/v1/needs/{matched['public_need'].pk}/matches/").json()
    assert chinese[0]["explanation"]["reasons"][0]["text"] == "技术领域相同"


def test_transition_through_api(as_user, world, matched):
    match = Match.objects.filter(need=matched["public_need"]).first()
    client = as_user("broker")
    url = f"/api/v1/matches/{match.pk}/transition/"
    ok = client.post(url, {"stage": "shortlisted", "version": 1}, format="json")
    assert ok.status_code == 200
    assert ok.json()["stage"] == "shortlisted" and ok.json()["version"] == 2
    assert ok.json()["events"][0]["actor"] == "broker"
    stale = client.post(url, {"stage": "introduced", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    invalid = client.post(url, {"stage": "contract_signed"}, format="json")
    assert invalid.status_code == 400 and "stage" in invalid.json()["error"]["fields"]
    no_reason = client.post(url, {"stage": "declined"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    declined = client.post(url, {"stage": "declined", "reason": "maturity_too_low"}, format="json")
    assert declined.json()["decline_reason"] == "maturity_too_low"
    assert MatchEvent.objects.filter(match=match).count() == 2


def test_only_brokers_and_admins_move_matches(as_user, world, matched):
    match = Match.objects.filter(need=matched["public_need"]).first()
    response = as_user("ent_a").post(f"/api/v1/matches/{match.pk}/transition/", {"stage": "shortlisted"}, format="json")
    assert response.status_code == 403
    match.refresh_from_db()
    assert match.stage == Stage.SUGGESTED and match.version == 1


def test_search_endpoint_ranks_chinese_and_english(as_user, world, matched):
    make_achievement(
        world.inst_b,
        title="Perovskite solar cell",
        abstract="Stable perovskite films.",
        language="en",
        keywords=["photovoltaic"],
        field_code="new-energy",
    )
    index_everything()
    client = as_user("ent_a")
    chinese = client.get("/api/v1/search/?q=固态电池电解质").json()["results"]
    assert chinese[0]["achievement"]["id"] == matched["public_achievement"].pk
    assert matched["draft"].pk not in [h["achievement"]["id"] for h in chinese]
    english = client.get("/api/v1/search/?q=perovskite").json()["results"]
    assert english[0]["achievement"]["title"] == "Perovskite solar cell"
    assert client.get("/api/v1/search/").status_code == 400


def test_expert_suggestions_endpoint(as_user, world, matched):
    from ..factories import ExpertFactory

    ExpertFactory(institution=world.inst_a, expertise="固态电池电解质研究")
    index_everything()
    services.suggest_experts([matched["public_need"].pk])
    rows = as_user("ent_a").get(f"/api/v1/needs/{matched['public_need'].pk}/experts/").json()
    assert rows[0]["expert"]["expertise"] == "固态电池电解质研究"


@pytest.mark.parametrize("needs", [1, 3])
def test_match_list_query_count_is_constant(as_user, world, django_assert_num_queries, needs):
    make_achievement(world.inst_a, title="固态锂电池电解质", keywords=["固态电池"])
    made = [make_need(world.ent_a, title=f"寻求固态电池技术{i}", keywords=["固态电池"]) for i in range(needs)]
    index_everything()
    services.rematch_needs([n.pk for n in made])
    client = as_user("broker")
    with django_assert_num_queries(2):
        response = client.get("/api/v1/matches/")
    assert response.json()["count"] == needs


def test_needs_for_an_achievement_are_ranked_directly_and_respect_visibility(as_user, world, matched):
    url = f"/api/v1/achievements/{matched['public_achievement'].pk}/needs/"
    broker_rows = as_user("broker").get(url).json()
    assert {r["need"]["id"] for r in broker_rows} == {matched["public_need"].pk, matched["secret_need"].pk}
    assert broker_rows[0]["score"] >= broker_rows[1]["score"]
    assert broker_rows[0]["explanation"]["reasons"][0]["text"]
    institution_rows = as_user("inst_a").get(url).json()
    assert [r["need"]["id"] for r in institution_rows] == [matched["public_need"].pk]
    assert as_user("inst_b").get(f"/api/v1/achievements/{matched['draft'].pk}/needs/").status_code == 404


def test_brokers_only_needs_do_not_take_an_institutions_candidate_places(as_user, world, matched, settings):
    """With one candidate place, the brokers-only need used to take it and the institution saw nothing."""
    achievement = matched["public_achievement"]
    twin = make_need(
        world.ent_b,
        title=achievement.title,
        keywords=achievement.keywords,
        description=achievement.abstract,
        confidentiality="brokers",
    )
    index_everything()
    settings.MATCHING_REVERSE_CANDIDATES = 1
    url = f"/api/v1/achievements/{achievement.pk}/needs/"
    assert [r["need"]["id"] for r in as_user("broker").get(url).json()] == [twin.pk]
    assert [r["need"]["id"] for r in as_user("inst_a").get(url).json()] == [matched["public_need"].pk]


def test_search_never_shows_an_achievement_archived_before_its_index_entry_is_removed(as_user, world, matched):
    """The index can lag behind the database (a worker down, a model not yet loaded): the
    visibility rule is applied to what the index returns, in the web page and the API."""
    from achievements.models import Achievement

    public = matched["public_achievement"]
    index_everything()
    before = as_user("ent_a").get("/api/v1/search/?q=固态电池电解质").json()["results"]
    assert public.pk in [h["achievement"]["id"] for h in before]
    Achievement.objects.filter(pk=public.pk).update(status="archived")  # no task runs
    found = as_user("ent_a").get("/api/v1/search/?q=固态电池电解质").json()["results"]
    assert public.pk not in [h["achievement"]["id"] for h in found]
    page = as_user("ent_a").get("/search/?q=固态电池电解质")
    assert public.title not in page.content.decode()


def test_the_embedding_task_unindexes_an_archived_record_without_loading_a_model(world, matched, monkeypatch):
    from achievements.models import Achievement
    from matchmaking import embeddings, tasks
    from matchmaking.index import get_index

    public = matched["public_achievement"]
    index_everything()
    assert get_index().entry("achievement", public.pk) is not None
    Achievement.objects.filter(pk=public.pk).update(status="archived")

    def no_model(**kwargs):
        assert get_index().entry("achievement", public.pk) is None  # already gone
        raise ConnectionError("encoder unavailable")

    monkeypatch.setattr(embeddings, "embed_records", no_model)
    with pytest.raises(ConnectionError):
        tasks.embed_records.run(kind="achievement", ids=[public.pk])
    assert get_index().entry("achievement", public.pk) is None
