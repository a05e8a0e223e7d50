"""From a saved record to stored, explained matches worked by brokers."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role
from achievements import services as achievement_services
from core.api.errors import Conflict
from matchmaking import services
from matchmaking.fusion import RAW_MODEL
from matchmaking.models import Embedding, ExpertSuggestion, Match, MatchEvent, Stage
from outcomes.contracts import contract_create

from ..factories import AgencyFactory, ExpertFactory, UserFactory, index_everything, make_achievement, make_need

# Matching runs when transactions commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOPICS = [
    ("固态锂电池电解质", "提高储能电池安全性的复合固态电解质。", ["固态电池", "电解质"], "new-energy"),
    ("水稻抗病分子育种", "提高水稻抗稻瘟病能力的分子育种技术。", ["水稻", "育种"], "modern-agriculture"),
    ("工业视觉缺陷检测", "基于深度学习的产线实时缺陷检测。", ["机器视觉", "缺陷检测"], "artificial-intelligence"),
]


@pytest.fixture
def corpus(world, live_matching):
    made = []
    with transaction.atomic():
        for i, (title, abstract, keywords, field) in enumerate(TOPICS):
            made.append(
                make_achievement(
                    world.inst_a if i % 2 == 0 else world.inst_b,
                    title=title,
                    abstract=abstract,
                    keywords=keywords,
                    field_code=field,
                    trl=7,
                )
            )
    return made


def test_saving_records_embeds_them_and_matches_appear(world, corpus):
    need = make_need(
        world.ent_a,
        title="寻求固态电池电解质技术",
        description="储能柜需要更安全的电池。",
        keywords=["固态电池"],
        required_trl=6,
    )
    assert Embedding.objects.filter(kind="achievement").count() == 3
    assert Embedding.objects.filter(kind="need", object_id=need.pk).exists()
    matches = list(Match.objects.filter(need=need).order_by("rank"))
    assert matches[0].achievement == corpus[0]
    top = matches[0]
    assert 0 < top.score <= 1
    assert set(top.components) >= {"lexical", "structured"}
    assert "固态" in top.explanation["shared_terms"] or "电解质" in top.explanation["shared_terms"]
    assert top.explanation["field_match"] is True
    assert {r["code"] for r in top.explanation["reasons"]} >= {"same_field", "maturity_ok"}
    # a corpus this small is not centred: the raw-cosine fusion ranks it
    assert top.algorithm_version.startswith(f"{RAW_MODEL.engine}/{RAW_MODEL.version}/raw/hash:64")
    assert top.stage == Stage.SUGGESTED and top.broker == world.users["broker"]


def test_unchanged_text_is_not_embedded_twice_and_model_change_reembeds(world, corpus, settings):
    from matchmaking.embeddings import embed_records

    ids = [a.pk for a in corpus]
    assert embed_records(kind="achievement", ids=ids) == 0
    achievement_services.achievement_update(achievement=corpus[0], actor=None, abstract="全新的摘要文字。")
    stored = Embedding.objects.get(kind="achievement", object_id=corpus[0].pk)
    assert embed_records(kind="achievement", ids=ids) == 0
    settings.EMBEDDING_MODEL = "hash:32"
    assert embed_records(kind="achievement", ids=ids) == 3
    assert Embedding.objects.filter(object_id=corpus[0].pk, kind="achievement").count() == 2
    assert stored.text_hash != ""


def test_batches_are_encoded_in_one_call(world, corpus, monkeypatch):
    from matchmaking import embeddings
    from matchmaking.encoders import get_encoder

    encoder = get_encoder()
    calls = []
    original = encoder.encode

    def spy(texts, **kwargs):
        calls.append(len(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(encoder, "encode", spy)
    Embedding.objects.all().delete()
    assert embeddings.embed_records(kind="achievement", ids=[a.pk for a in corpus]) == 3
    assert calls == [3]


def test_one_transaction_sends_one_batch_and_a_rollback_sends_none(world, live_matching, monkeypatch):
    from matchmaking import tasks

    sent = []
    monkeypatch.setattr(tasks.embed_records, "delay", lambda **kw: sent.append(kw))
    with transaction.atomic():
        a = make_achievement(world.inst_a, title="成果一")
        b = make_achievement(world.inst_a, title="成果二")
    assert sent == [{"kind": "achievement", "ids": [a.pk, b.pk]}]
    sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_achievement(world.inst_a, title="成果三")
        raise RuntimeError
    assert sent == []


def test_editing_an_achievement_reranks_the_needs_it_affects(world, corpus):
    need = make_need(
        world.ent_a,
        title="寻求机器视觉质检方案",
        description="产线缺陷检测。",
        keywords=["机器视觉"],
        field_code="artificial-intelligence",
    )
    first = Match.objects.get(need=need, rank=1)
    assert first.achievement == corpus[2]
    newcomer = make_achievement(
        world.inst_b,
        title="机器视觉缺陷检测质检系统",
        abstract="机器视觉缺陷检测，质检效率高。",
        keywords=["机器视觉", "缺陷检测", "质检"],
        field_code="artificial-intelligence",
        trl=8,
    )
    assert Match.objects.filter(need=need, achievement=newcomer).exists()
    achievement_services.achievement_archive(achievement=newcomer, actor=None)
    assert not Match.objects.filter(need=need, achievement=newcomer).exists()


def test_declined_pairs_are_never_suggested_again(world, corpus):
    UserFactory(role=Role.BROKER, agency=AgencyFactory())  # the broker the new match is assigned to
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    match = Match.objects.get(need=need, achievement=corpus[0])
    services.match_transition(match=match, actor=match.broker, to_stage=Stage.DECLINED, reason="price")
    index_everything()
    services.rematch_needs([need.pk])
    match.refresh_from_db()
    assert match.stage == Stage.DECLINED and match.rank is None
    assert not Match.objects.filter(need=need, achievement=corpus[0], stage=Stage.SUGGESTED).exists()


def test_brokers_get_balanced_caseloads_and_no_conflict_of_interest(world, corpus):
    own_office = AgencyFactory(institution=world.inst_a)
    conflicted = UserFactory(role=Role.BROKER, agency=own_office)
    neutral_1 = UserFactory(role=Role.BROKER, agency=AgencyFactory())
    neutral_2 = UserFactory(role=Role.BROKER, agency=AgencyFactory())
    needs = [make_need(world.ent_a, title=f"寻求电池技术{i}", keywords=["固态电池"]) for i in range(4)]
    matches = Match.objects.filter(need__in=needs).select_related("achievement", "broker")
    assert matches.exists()
    for match in matches:
        if match.achievement.institution == world.inst_a:
            assert match.broker != conflicted
    assert all(match.broker is not None for match in matches)
    used = {match.broker_id for match in matches}
    assert len(used) >= 2  # caseload is spread
    loads = sorted(matches.filter(broker_id=b).count() for b in used)
    assert loads[-1] - loads[0] <= len(corpus) * 2
    assert neutral_1.pk in used or neutral_2.pk in used


def test_stage_transitions_are_checked_logged_and_versioned(world, corpus):
    broker = UserFactory(role=Role.BROKER, agency=AgencyFactory())
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    Match.objects.filter(need=need, achievement=corpus[0]).update(broker=broker)
    match = Match.objects.get(need=need, achievement=corpus[0])
    with pytest.raises(ValidationError):
        services.match_transition(match=match, actor=broker, to_stage=Stage.CONTRACT_SIGNED)
    for stage in (Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING):
        match = services.match_transition(match=match, actor=broker, to_stage=stage)
    with pytest.raises(ValidationError):  # "contract signed" points at a recorded contract
        services.match_transition(match=match, actor=broker, to_stage=Stage.CONTRACT_SIGNED)
    contract_create(actor=broker, contract_type="transfer", title="转让", amount=1, signed_on=date.today(), match=match)
    match.refresh_from_db()
    assert match.version == 6
    assert list(MatchEvent.objects.filter(match=match).values_list("to_stage", flat=True)) == [
        "shortlisted",
        "introduced",
        "meeting",
        "negotiating",
        "contract_signed",
    ]
    assert MatchEvent.objects.filter(match=match, actor=broker).count() == 5
    with pytest.raises(ValidationError):
        services.match_transition(match=match, actor=match.broker, to_stage=Stage.DECLINED, reason="price")


def test_decline_needs_a_reason_and_other_needs_text(world, corpus):
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    match = Match.objects.get(need=need, achievement=corpus[0])
    with pytest.raises(ValidationError):
        services.match_transition(match=match, actor=None, to_stage=Stage.DECLINED)
    with pytest.raises(ValidationError):
        services.match_transition(match=match, actor=None, to_stage=Stage.DECLINED, reason="other")
    declined = services.match_transition(
        match=match, actor=None, to_stage=Stage.DECLINED, reason="other", note="企业已自研"
    )
    assert (declined.decline_reason, declined.decline_note) == ("other", "企业已自研")


def test_stale_version_gets_conflict(world, corpus):
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    match = Match.objects.get(need=need, achievement=corpus[0])
    services.match_transition(match=match, actor=None, to_stage=Stage.SHORTLISTED, expected_version=1)
    with pytest.raises(Conflict):
        services.match_transition(match=match, actor=None, to_stage=Stage.INTRODUCED, expected_version=1)


def test_experts_are_suggested_from_profile_and_achievements(world, corpus):
    battery = ExpertFactory(institution=world.inst_a, name="张教授", expertise="固态电池电解质与储能安全研究")
    ExpertFactory(institution=world.inst_b, name="李研究员", expertise="水稻分子育种")
    corpus[0].experts.add(battery)
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    index_everything()
    services.suggest_experts([need.pk])
    suggestions = list(ExpertSuggestion.objects.filter(need=need).order_by("rank"))
    assert suggestions[0].expert == battery
    assert suggestions[0].components["achievements"] > 0
    assert suggestions[0].score > suggestions[1].score


def test_scores_stay_in_unit_interval(world, corpus):
    make_need(
        world.ent_a,
        title="寻求固态电池电解质技术",
        keywords=["固态电池"],
        budget_min=Decimal("0"),
        budget_max=Decimal("1"),
    )
    assert all(0 <= s <= 1 for s in Match.objects.values_list("score", flat=True))


def test_extra_models_are_embedded_side_by_side(world, corpus, settings):
    from matchmaking.embeddings import embed_records

    settings.EMBEDDING_EXTRA_MODELS = ["hash:32"]
    assert embed_records(kind="achievement", ids=[a.pk for a in corpus]) == 3  # only the new model's vectors
    assert set(Embedding.objects.filter(kind="achievement").values_list("model_name", flat=True)) == {
        "hash:64",
        "hash:32",
    }
    need = make_need(world.ent_a, title="寻求固态电池电解质技术", keywords=["固态电池"])
    match = Match.objects.get(need=need, rank=1)
    assert match.algorithm_version.endswith("hash:64+hash:32")
