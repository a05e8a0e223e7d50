"""Contracts linked to their source, and 先使用后付费 licences from free use to payment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from matchmaking.models import Match, MatchEvent, Stage
from matchmaking.services import match_transition
from outcomes.contracts import licence_reminders
from outcomes.models import LicenceStatus, TechnologyContract, UseFirstLicence
from tests.factories import AgencyFactory, UserFactory, make_achievement, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def negotiating(world):
    need = make_need(world.ent_a)
    achievement = make_achievement(world.inst_a)
    match = Match.objects.create(
        need=need, achievement=achievement, score=0.8, rank=1, algorithm_version="t", broker=world.users["broker"]
    )
    for stage in (Stage.SHORTLISTED, Stage.INTRODUCED, Stage.MEETING, Stage.NEGOTIATING):
        match = match_transition(match=match, actor=world.users["broker"], to_stage=stage)
    return match


def _contract_body(**extra):
    return {
        "contract_type": "licence",
        "title": "固态电解质专利许可合同",
        "amount": "120.50",
        "signed_on": timezone.localdate().isoformat(),
        **extra,
    }


def test_contract_signed_stage_needs_a_real_contract(world, negotiating):
    with pytest.raises(ValidationError):
        match_transition(match=negotiating, actor=world.users["broker"], to_stage=Stage.CONTRACT_SIGNED)
    assert Match.objects.get(pk=negotiating.pk).stage == Stage.NEGOTIATING


def test_contract_from_a_match_moves_the_match_and_takes_its_parties(api, world, as_user, negotiating):
    other_broker = UserFactory(role=Role.BROKER, agency=AgencyFactory())
    api.force_authenticate(other_broker)
    denied = api.post("/api/v1/contracts/", _contract_body(match=negotiating.pk), format="json")
    assert denied.status_code == 403 and not TechnologyContract.objects.exists()
    as_user("broker")
    created = api.post("/api/v1/contracts/", _contract_body(match=negotiating.pk), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["source"] == "match" and body["amount"] == 120.5
    assert (body["institution"], body["enterprise"]) == (world.inst_a.pk, world.ent_a.pk)
    assert body["broker"] == world.users["broker"].pk and body["agency"] == world.agency.pk
    assert body["field"] == "new-energy"
    match = Match.objects.get(pk=negotiating.pk)
    assert match.stage == Stage.CONTRACT_SIGNED and match.contract.pk == body["id"]
    assert MatchEvent.objects.filter(match=match, to_stage=Stage.CONTRACT_SIGNED).count() == 1
    twice = api.post("/api/v1/contracts/", _contract_body(match=negotiating.pk), format="json")
    assert twice.status_code == 400 and TechnologyContract.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"contract_type": "gift"}, "contract_type"),
        ({"signed_on": "2999-01-01"}, "signed_on"),
        ({"title": ""}, "title"),
        ({"match": 999999}, "match"),
    ],
)
def test_bad_contracts_are_refused_and_nothing_is_written(api, world, as_user, negotiating, change, field):
    as_user("broker")
    response = api.post("/api/v1/contracts/", {**_contract_body(match=negotiating.pk), **change}, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not TechnologyContract.objects.exists()
    assert Match.objects.get(pk=negotiating.pk).stage == Stage.NEGOTIATING


def test_contracts_are_seen_by_parties_broker_and_committee_only(api, world, as_user, negotiating):
    as_user("broker")
    contract_id = api.post("/api/v1/contracts/", _contract_body(match=negotiating.pk), format="json").json()["id"]
    for who, visible in [
        ("inst_a", True),
        ("ent_a", True),
        ("organiser", True),
        ("admin", True),
        ("inst_b", False),
        ("ent_b", False),
    ]:
        as_user(who)
        assert api.get("/api/v1/contracts/").json()["count"] == (1 if visible else 0), who
        assert api.get(f"/api/v1/contracts/{contract_id}/").status_code == (200 if visible else 404), who
    as_user("ent_b")
    assert api.post("/api/v1/contracts/", _contract_body(institution=world.inst_b.pk), format="json").status_code == 403


def test_use_first_licence_from_free_use_to_payment(
    api, world, as_user, negotiating, django_capture_on_commit_callbacks
):
    for name in ("inst_a", "ent_a", "broker"):
        world.users[name].email = f"{name}@example.org"
        world.users[name].save()
    today = timezone.localdate()
    as_user("broker")
    bad = api.post(
        "/api/v1/contracts/",
        _contract_body(
            match=negotiating.pk,
            contract_type="service",
            use_first={"free_use_from": today.isoformat(), "free_use_until": today.isoformat()},
        ),
        format="json",
    )
    assert bad.status_code == 400 and not TechnologyContract.objects.exists()
    created = api.post(
        "/api/v1/contracts/",
        _contract_body(
            match=negotiating.pk,
            use_first={"free_use_from": today.isoformat(), "free_use_until": (today + timedelta(days=90)).isoformat()},
        ),
        format="json",
    )
    licence_id = created.json()["licence"]["id"]
    assert created.json()["licence"]["status"] == "free_use"

    assert licence_reminders(today) == 0  # not yet within 30 days of the end
    with django_capture_on_commit_callbacks(execute=True):
        assert licence_reminders(today + timedelta(days=61)) == 1
        assert licence_reminders(today + timedelta(days=62)) == 0  # once
    assert sorted(m.to[0] for m in mail.outbox) == ["broker@example.org", "ent_a@example.org", "inst_a@example.org"]

    as_user("ent_b")
    assert (
        api.post(
            f"/api/v1/licences/{licence_id}/evaluate/", {"keep": True, "evaluation": "x"}, format="json"
        ).status_code
        == 404
    )
    as_user("ent_a")
    missing = api.post(
        f"/api/v1/licences/{licence_id}/evaluate/", {"keep": True, "evaluation": "产线试用良好"}, format="json"
    )
    assert missing.status_code == 400
    due = (today + timedelta(days=100)).isoformat()
    kept = api.post(
        f"/api/v1/licences/{licence_id}/evaluate/",
        {"keep": True, "evaluation": "产线试用良好", "payment_amount": "60", "payment_due_on": due},
        format="json",
    )
    assert kept.json()["status"] == "evaluated"
    licence_reminders(today + timedelta(days=100))
    assert UseFirstLicence.objects.get().status == LicenceStatus.PAYMENT_DUE
    as_user("inst_a")
    paid = api.post(f"/api/v1/licences/{licence_id}/paid/", {}, format="json")
    assert paid.json()["status"] == "paid" and paid.json()["paid_on"] == today.isoformat()
    assert api.post(f"/api/v1/licences/{licence_id}/paid/", {}, format="json").status_code == 400
    assert UseFirstLicence.objects.get().payment_amount == Decimal("60")


def test_a_licence_can_be_handed_back(world, negotiating):
    from outcomes.contracts import contract_create, licence_evaluate

    today = timezone.localdate()
    contract = contract_create(
        actor=world.users["broker"],
        contract_type="licence",
        title="许可",
        amount=Decimal("10"),
        signed_on=today,
        match=negotiating,
        use_first={"free_use_from": today, "free_use_until": today + timedelta(days=30)},
    )
    licence = licence_evaluate(
        actor=world.users["ent_a"], licence=contract.licence, keep=False, evaluation="效果不达预期"
    )
    assert licence.status == LicenceStatus.TERMINATED


def test_contract_from_an_event_meeting_takes_the_two_registrants(api, world, as_user):
    from events.models import MatchmakingEvent, Meeting, Registration

    start = timezone.now() - timedelta(days=3)
    event = MatchmakingEvent.objects.create(
        title="对接会", starts_at=start, ends_at=start + timedelta(hours=3), organiser=world.users["organiser"]
    )
    holder = Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    firm = Registration.objects.create(event=event, user=world.users["ent_a"], side="enterprise")
    meeting = Meeting.objects.create(
        event=event,
        holder=holder,
        enterprise=firm,
        slot=0,
        table=1,
        starts_at=start,
        status="held",
        holder_rating=4,
        enterprise_rating=5,
    )
    as_user("inst_b")  # not a party, may not see the meeting: answered exactly as a missing one
    body = _contract_body(contract_type="development", meeting=meeting.pk)
    hidden = api.post("/api/v1/contracts/", body, format="json")
    missing = api.post("/api/v1/contracts/", {**body, "meeting": meeting.pk + 1000}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["error"]["fields"]["meeting"][0] == missing.json()["error"]["fields"]["meeting"][0].replace(
        str(meeting.pk + 1000), str(meeting.pk)
    )
    assert not TechnologyContract.objects.exists()
    as_user("inst_a")  # a party records it
    created = api.post("/api/v1/contracts/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["source"] == "meeting"
    assert (created.json()["institution"], created.json()["enterprise"]) == (world.inst_a.pk, world.ent_a.pk)
