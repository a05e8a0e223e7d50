"""The 揭榜挂帅 workflow through the API, as the enterprise, the committee, bidders and reviewers use it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from core.models import AuditEntry
from outcomes.challenges import close_due_challenges
from outcomes.models import Bid, BidStatus, Challenge, ChallengeStage, TechnologyContract
from tests.factories import ExpertFactory, InstitutionFactory, UserFactory, index_everything, make_need

pytestmark = pytest.mark.django_db


def _challenge_need(world, **extra):
    return make_need(
        world.ent_a,
        title="揭榜：高安全固态电池电解质",
        status="draft",
        is_challenge=True,
        challenge_award=500,
        challenge_closes_on=timezone.localdate() + timedelta(days=30),
        **extra,
    )


def _reviewer(institution, name="评审专家"):
    user = UserFactory(role=Role.INSTITUTION, institution=institution, email=f"{name}@example.org")
    expert = ExpertFactory(institution=institution, name=name, expertise="固态电池电解质材料与安全", user=user)
    index_everything()
    return expert


def _published(api, world, as_user):
    need = _challenge_need(world)
    as_user("ent_a")
    challenge_id = api.post("/api/v1/challenges/", {"need": need.pk}, format="json").json()["id"]
    as_user("organiser")
    api.post(f"/api/v1/challenges/{challenge_id}/screen/", {"approve": True}, format="json")
    api.post(f"/api/v1/challenges/{challenge_id}/publish/", {}, format="json")
    return Challenge.objects.get(pk=challenge_id)


def _bid(api, as_user, who, challenge, team="电解质团队"):
    as_user(who)
    body = {"team_name": team, "proposal": "采用硫化物复合电解质路线。", "budget": "300", "timeline_months": 18}
    return api.post(f"/api/v1/challenges/{challenge.pk}/bids/", body, format="json")


def test_intake_screening_publication_with_reasons_and_emails(api, world, as_user, django_capture_on_commit_callbacks):
    world.users["organiser"].email = "committee@example.org"
    world.users["organiser"].save()
    world.users["ent_a"].email = "ent@example.org"
    world.users["ent_a"].save()
    need = _challenge_need(world)
    as_user("ent_b")
    assert api.post("/api/v1/challenges/", {"need": need.pk}, format="json").status_code in (400, 403)
    as_user("ent_a")
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/challenges/", {"need": need.pk}, format="json")
    assert created.status_code == 201 and created.json()["stage"] == "submitted"
    assert [m.to for m in mail.outbox] == [["committee@example.org"]]
    challenge_id = created.json()["id"]
    assert api.post("/api/v1/challenges/", {"need": need.pk}, format="json").status_code == 400  # once
    assert api.post(f"/api/v1/challenges/{challenge_id}/screen/", {"approve": True}, format="json").status_code == 403
    as_user("organiser")
    rejected = api.post(f"/api/v1/challenges/{challenge_id}/screen/", {"approve": False}, format="json")
    assert rejected.status_code == 400 and "note" in rejected.json()["error"]["fields"]
    early = api.post(f"/api/v1/challenges/{challenge_id}/publish/", {}, format="json")
    assert early.status_code == 400  # not approved yet
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api.post(f"/api/v1/challenges/{challenge_id}/screen/", {"approve": True}, format="json").json()["stage"]
            == "approved"
        )
        published = api.post(f"/api/v1/challenges/{challenge_id}/publish/", {"award": "800"}, format="json")
    assert published.json()["stage"] == "published" and published.json()["award"] == 800
    need.refresh_from_db()
    assert need.status == "published" and need.challenge_award == 800
    assert {m.to[0] for m in mail.outbox} == {"committee@example.org", "ent@example.org"}
    actions = list(AuditEntry.objects.filter(object_type="challenge").values_list("action", flat=True))
    assert actions == ["challenge.submitted", "challenge.approved", "challenge.published"]
    history = api.get(f"/api/v1/challenges/{challenge_id}/history/").json()
    assert [h["action"] for h in history] == actions and history[1]["actor"] == "organiser"


def test_unscreened_challenges_are_hidden_from_others(api, world, as_user):
    need = _challenge_need(world)
    as_user("ent_a")
    challenge_id = api.post("/api/v1/challenges/", {"need": need.pk}, format="json").json()["id"]
    for who in ("ent_b", "inst_a", "broker"):
        as_user(who)
        assert api.get(f"/api/v1/challenges/{challenge_id}/").status_code == 404
        assert api.get("/api/v1/challenges/").json()["count"] == 0
    as_user(None)
    assert api.get("/api/v1/challenges/").status_code in (401, 403)


def test_a_plain_need_is_not_a_challenge(api, world, as_user):
    need = make_need(world.ent_a)
    as_user("ent_a")
    response = api.post("/api/v1/challenges/", {"need": need.pk}, format="json")
    assert response.status_code == 400 and "need" in response.json()["error"]["fields"]
    assert not Challenge.objects.exists()


def test_bids_reviews_award_and_contract(api, world, as_user, django_capture_on_commit_callbacks):
    challenge = _published(api, world, as_user)
    assert _bid(api, as_user, "ent_b", challenge).status_code == 403
    first = _bid(api, as_user, "inst_a", challenge)
    assert first.status_code == 201
    assert _bid(api, as_user, "inst_a", challenge).status_code == 400  # same team twice
    second = _bid(api, as_user, "inst_b", challenge, team="乙团队")
    bid_a, bid_b = first.json()["id"], second.json()["id"]

    as_user("inst_a")
    assert [b["id"] for b in api.get(f"/api/v1/challenges/{challenge.pk}/bids/").json()] == [bid_a]
    assert api.get(f"/api/v1/bids/{bid_b}/").status_code == 404
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 proposal", content_type="application/pdf")
    uploaded = api.post(f"/api/v1/bids/{bid_a}/attachments/", {"file": pdf}, format="multipart")
    assert uploaded.status_code == 201 and uploaded.json()["name"] == "方案.pdf"
    download = api.get(f"/api/v1/bids/{bid_a}/attachments/{uploaded.json()['id']}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 proposal"
    as_user("inst_b")
    assert api.get(f"/api/v1/bids/{bid_a}/attachments/{uploaded.json()['id']}/").status_code == 404
    as_user("inst_a")
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    refused = api.post(f"/api/v1/bids/{bid_a}/attachments/", {"file": exe}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]
    as_user("ent_a")
    assert api.get(f"/api/v1/challenges/{challenge.pk}/bids/").json() == []  # not before bidding closes

    # reviewers: never from a bidding institution, only experts with an account
    neutral = InstitutionFactory(name="丙大学")
    conflicted = _reviewer(world.inst_b, "乙专家")
    fair = _reviewer(neutral, "丙专家")
    ExpertFactory(institution=neutral, name="无账号专家")
    index_everything()
    as_user("organiser")
    named = api.post(f"/api/v1/challenges/{challenge.pk}/reviewers/", {"expert_ids": [conflicted.pk]}, format="json")
    assert named.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assigned = api.post(f"/api/v1/challenges/{challenge.pk}/reviewers/", {"count": 3}, format="json")
    assert assigned.status_code == 200, assigned.json()
    assert [r["expert"] for r in assigned.json()] == [fair.pk]
    assert mail.outbox[-1].to == [fair.user.email]

    # reviewing starts when bidding closes
    api.force_authenticate(fair.user)
    scores = {"technical": 9, "feasibility": 8, "team": 7, "budget": 6}
    assert api.post(f"/api/v1/bids/{bid_a}/reviews/", {"scores": scores}, format="json").status_code == 404
    as_user("organiser")
    assert api.post(f"/api/v1/challenges/{challenge.pk}/close/").json()["stage"] == "evaluating"
    api.force_authenticate(fair.user)
    partial = api.post(f"/api/v1/bids/{bid_a}/reviews/", {"scores": {"technical": 9}}, format="json")
    assert partial.status_code == 400 and "scores" in partial.json()["error"]["fields"]
    too_high = api.post(f"/api/v1/bids/{bid_a}/reviews/", {"scores": {**scores, "team": 11}}, format="json")
    assert too_high.status_code == 400
    review = api.post(f"/api/v1/bids/{bid_a}/reviews/", {"scores": scores, "comment": "路线清晰"}, format="json")
    assert review.status_code == 201 and review.json()["total"] == 80.0  # (9*40+8*30+7*20+6*10)/10
    low = {"technical": 5, "feasibility": 5, "team": 5, "budget": 5}
    assert api.post(f"/api/v1/bids/{bid_b}/reviews/", {"scores": low}, format="json").status_code == 201
    api.force_authenticate(world.users["inst_a"])
    assert api.post(f"/api/v1/bids/{bid_a}/reviews/", {"scores": scores}, format="json").status_code == 403

    as_user("ent_a")  # after closing, the enterprise sees the bids, best first
    ranked = api.get(f"/api/v1/challenges/{challenge.pk}/bids/").json()
    assert [b["id"] for b in ranked] == [bid_a, bid_b] and ranked[0]["mean_score"] == 80.0
    assert api.post(f"/api/v1/challenges/{challenge.pk}/award/", {"bid": bid_a}, format="json").status_code == 403

    as_user("organiser")
    awarded = api.post(f"/api/v1/challenges/{challenge.pk}/award/", {"bid": bid_a}, format="json")
    assert awarded.json()["stage"] == "awarded"
    assert dict(Bid.objects.values_list("pk", "status")) == {bid_a: BidStatus.AWARDED, bid_b: BidStatus.NOT_AWARDED}
    again = api.post(f"/api/v1/challenges/{challenge.pk}/award/", {"bid": bid_b}, format="json")
    assert again.status_code == 400

    contract = api.post(
        "/api/v1/contracts/",
        {
            "contract_type": "development",
            "title": "固态电解质联合开发合同",
            "amount": "800",
            "signed_on": timezone.localdate().isoformat(),
            "challenge": challenge.pk,
            "registration_number": "5101002026000123",
        },
        format="json",
    )
    assert contract.status_code == 201, contract.json()
    body = contract.json()
    assert body["source"] == "challenge" and body["institution"] == world.inst_a.pk
    assert body["enterprise"] == world.ent_a.pk
    challenge.refresh_from_db()
    assert challenge.stage == ChallengeStage.CONTRACTED
    assert TechnologyContract.objects.get().challenge == challenge


def test_closing_date_closes_bidding_once(api, world, as_user):
    challenge = _published(api, world, as_user)
    Challenge.objects.filter(pk=challenge.pk).update(closes_on=timezone.localdate() - timedelta(days=1))
    late = _bid(api, as_user, "inst_a", challenge)
    assert late.status_code == 400 and not Bid.objects.exists()
    assert close_due_challenges() == 1
    assert close_due_challenges() == 0
    challenge.refresh_from_db()
    assert challenge.stage == ChallengeStage.EVALUATING


def test_a_reviewers_institution_cannot_bid(api, world, as_user):
    challenge = _published(api, world, as_user)
    expert = _reviewer(world.inst_a, "甲专家")
    as_user("organiser")
    assert (
        api.post(
            f"/api/v1/challenges/{challenge.pk}/reviewers/", {"expert_ids": [expert.pk]}, format="json"
        ).status_code
        == 200
    )
    refused = _bid(api, as_user, "inst_a", challenge)
    assert refused.status_code == 400 and not Bid.objects.exists()


def test_default_criteria_read_in_the_readers_language_and_renamed_ones_as_named():
    from django.utils import translation

    from outcomes.models import criterion_label, default_criteria

    technical = default_criteria()[0]
    with translation.override("en"):
        assert criterion_label(technical) == "Technical merit"
    with translation.override("zh-hans"):
        assert criterion_label(technical) == "技术先进性"
    assert criterion_label({**technical, "name": "产业化前景"}) == "产业化前景"
