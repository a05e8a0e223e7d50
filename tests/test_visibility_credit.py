"""Issue 13: confidential records never leak through side channels (suggestions, agendas,
challenges, histories), hidden objects answer as missing, and contracts are credited only from
their source by someone who may speak for it. Every refusal leaves the database unchanged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from events.models import MatchmakingEvent, Meeting, MeetingRequest, Registration
from matchmaking.models import Match, MatchNote, Stage
from outcomes import challenges
from outcomes.models import Challenge, TechnologyContract

from .factories import AgencyFactory, UserFactory, make_achievement, make_need
from .test_permission_matrix import fingerprint

pytestmark = pytest.mark.django_db

HIDDEN_NEED = "保密需求ZQX"
ARCHIVED = "归档成果ZQX"


def _challenge_need(enterprise, **fields):
    closes = timezone.localdate() + timedelta(days=30)
    return make_need(enterprise, is_challenge=True, challenge_award=50, challenge_closes_on=closes, **fields)


def _match(need, achievement, score=0.9, broker=None, stage=Stage.SUGGESTED):
    return Match.objects.create(
        need=need, achievement=achievement, score=score, rank=1, algorithm_version="t", broker=broker, stage=stage
    )


def _event(world, *, status="open"):
    start = timezone.now() + timedelta(days=10)
    return MatchmakingEvent.objects.create(
        title="对接会",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        organiser=world.users["organiser"],
        status=status,
    )


def _meeting(event, holder_user, enterprise_user):
    holder = Registration.objects.create(event=event, user=holder_user, side="holder")
    firm = Registration.objects.create(event=event, user=enterprise_user, side="enterprise")
    return Meeting.objects.create(
        event=event, holder=holder, enterprise=firm, slot=0, table=1, starts_at=event.starts_at
    )


# -- confidentiality ---------------------------------------------------------------------------


def test_invite_suggestions_leave_out_brokers_only_needs_and_their_enterprise(as_user, world):
    event = _event(world)
    Registration.objects.create(event=event, user=world.users["inst_a"], side="holder")
    UserFactory(username="ent_b2", role=Role.ENTERPRISE, enterprise=world.ent_b)
    achievement = make_achievement(world.inst_a, title="公开成果")
    _match(make_need(world.ent_b, title=HIDDEN_NEED, confidentiality="brokers"), achievement, score=0.95)
    _match(make_need(world.ent_a, title="公开需求"), achievement, score=0.5)

    rows = as_user("organiser").get(f"/api/v1/events/{event.pk}/invite-suggestions/").json()

    assert [(r["user"], r["organisation"], r["need"]) for r in rows] == [("ent_a", "甲科技有限公司", "公开需求")]


def test_printable_agenda_shows_only_what_the_reader_may_see(as_user, world):
    event = _event(world)
    meeting = _meeting(event, world.users["inst_a"], world.users["ent_a"])
    assert meeting.pk
    archived = make_achievement(world.inst_a, title=ARCHIVED)
    archived.status = "archived"
    archived.save(update_fields=["status"])
    _match(make_need(world.ent_a, title=HIDDEN_NEED, confidentiality="brokers"), archived, score=0.95)
    _match(make_need(world.ent_a, title="公开需求"), make_achievement(world.inst_a, title="公开成果"), score=0.5)

    institution_page = as_user("inst_a").get(f"/api/v1/events/{event.pk}/agenda/print/").content.decode()
    enterprise_page = as_user("ent_a").get(f"/api/v1/events/{event.pk}/agenda/print/").content.decode()

    assert HIDDEN_NEED not in institution_page and "公开需求" in institution_page
    assert ARCHIVED not in enterprise_page and "公开成果" in enterprise_page


def test_a_brokers_only_need_becomes_a_challenge_only_with_consent_and_then_is_public(as_user, world, api):
    need = make_need(
        world.ent_a,
        title=HIDDEN_NEED,
        confidentiality="brokers",
        is_challenge=True,
        challenge_award=50,
        challenge_closes_on=timezone.localdate() + timedelta(days=30),
    )
    refused = as_user("ent_a").post("/api/v1/challenges/", {"need": need.pk}, format="json")
    assert refused.status_code == 400 and "public_consent" in refused.json()["error"]["fields"]
    assert not Challenge.objects.exists()

    created = api.post("/api/v1/challenges/", {"need": need.pk, "public_consent": True}, format="json")
    assert created.status_code == 201
    screening = as_user("organiser").get(f"/api/v1/challenges/{created.json()['id']}/").json()
    assert (screening["need_confidentiality"], screening["public_consent"]) == ("brokers", True)
    committee = Client()
    committee.force_login(world.users["organiser"])
    assert 'id="confidential-need"' in committee.get(f"/challenges/{created.json()['id']}/").content.decode()
    challenge = Challenge.objects.get()
    challenges.challenge_screen(actor=world.users["organiser"], challenge=challenge, approve=True)
    challenges.challenge_publish(actor=world.users["organiser"], challenge=challenge)

    as_user("inst_b")
    listed = api.get("/api/v1/challenges/").json()["results"]
    assert [c["need_title"] for c in listed] == [HIDDEN_NEED]
    assert api.get(f"/api/v1/needs/{need.pk}/").status_code == 200  # the same rule everywhere


def test_a_published_challenge_whose_need_is_brokers_only_shows_to_no_one_who_may_not_see_the_need(world, as_user):
    need = _challenge_need(world.ent_a, title=HIDDEN_NEED, confidentiality="brokers")
    # published before consent existed (or the need was made brokers-only afterwards)
    challenge = Challenge.objects.create(
        need=need, stage="published", award=50, closes_on=timezone.localdate() + timedelta(days=30)
    )
    Challenge.objects.filter(pk=challenge.pk).update(stage="approved")
    with pytest.raises(ValidationError) as refused:  # publishing it now needs the consent
        challenges.challenge_publish(actor=world.users["organiser"], challenge=challenge)
    assert list(refused.value.message_dict) == ["need"]
    assert Challenge.objects.get(pk=challenge.pk).stage == "approved"
    Challenge.objects.filter(pk=challenge.pk).update(stage="published")
    for role, sees in [("inst_b", False), ("ent_b", False), ("ent_a", True), ("broker", True), ("organiser", True)]:
        api = as_user(role)
        titles = [c["need_title"] for c in api.get("/api/v1/challenges/").json()["results"]]
        assert titles == ([HIDDEN_NEED] if sees else []), role
        assert api.get(f"/api/v1/challenges/{challenge.pk}/").status_code == (200 if sees else 404), role
        web = Client()
        web.force_login(world.users[role])
        assert (HIDDEN_NEED in web.get("/challenges/").content.decode()) is sees, role
        assert web.get(f"/challenges/{challenge.pk}/").status_code == (200 if sees else 404), role


def test_challenge_history_hides_bidders_from_the_enterprise_until_bidding_closes(world, as_user):
    need = _challenge_need(world.ent_a)
    challenge = Challenge.objects.create(
        need=need, stage="published", award=50, closes_on=timezone.localdate() + timedelta(days=30)
    )
    bid = challenges.bid_submit(
        actor=world.users["inst_a"],
        challenge=challenge,
        team_name="电解质团队",
        proposal="方案",
        budget=Decimal("40"),
        timeline_months=12,
    )

    def actions(role):
        entries = as_user(role).get(f"/api/v1/challenges/{challenge.pk}/history/").json()
        return [(e["action"], e["detail"]) for e in entries]

    assert ("challenge.bid", {"bid": bid.pk}) in actions("organiser")
    assert [a for a, _ in actions("ent_a") if a.startswith("challenge.bid")] == []
    challenges.challenge_close(actor=world.users["organiser"], challenge=challenge)
    assert ("challenge.bid", {"bid": bid.pk}) in actions("ent_a")


def test_a_hidden_match_or_meeting_answers_a_contract_exactly_as_a_missing_one(world, as_user):
    match = _match(make_need(world.ent_a), make_achievement(world.inst_a), stage=Stage.NEGOTIATING)
    meeting = _meeting(_event(world), world.users["inst_a"], world.users["ent_a"])
    body = {"contract_type": "licence", "title": "合同", "amount": "10", "signed_on": timezone.localdate().isoformat()}
    api = as_user("inst_b")
    before = fingerprint()
    for name, hidden_id in (("match", match.pk), ("meeting", meeting.pk)):
        hidden = api.post("/api/v1/contracts/", {**body, name: hidden_id}, format="json")
        missing = api.post("/api/v1/contracts/", {**body, name: 987654}, format="json")
        assert hidden.status_code == missing.status_code == 400
        assert hidden.json()["error"]["fields"][name] == [
            m.replace("987654", str(hidden_id)) for m in missing.json()["error"]["fields"][name]
        ]
    assert fingerprint() == before


def test_a_meeting_request_to_a_registration_of_a_hidden_event_answers_as_missing(world, as_user):
    draft = _event(world, status="draft")
    receiver = Registration.objects.create(event=draft, user=world.users["ent_b"], side="enterprise")
    api = as_user("inst_a")
    hidden = api.post("/api/v1/meeting-requests/", {"receiver": receiver.pk}, format="json")
    missing = api.post("/api/v1/meeting-requests/", {"receiver": 987654}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert not MeetingRequest.objects.exists()


# -- who may credit whom -----------------------------------------------------------------------


def test_a_meeting_party_cannot_name_other_parties_and_nothing_is_written(world, as_user):
    meeting = _meeting(_event(world), world.users["inst_a"], world.users["ent_a"])
    Meeting.objects.filter(pk=meeting.pk).update(status="held", holder_rating=5, enterprise_rating=5)
    body = {
        "contract_type": "development",
        "title": "合同",
        "amount": "10",
        "signed_on": timezone.localdate().isoformat(),
        "meeting": meeting.pk,
        "institution": world.inst_b.pk,
        "enterprise": world.ent_b.pk,
    }
    api = as_user("inst_a")
    before = fingerprint()
    response = api.post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"institution"}
    assert fingerprint() == before
    created = api.post(
        "/api/v1/contracts/", {k: v for k, v in body.items() if k not in ("institution", "enterprise")}, format="json"
    )
    assert created.status_code == 201
    assert (created.json()["institution"], created.json()["enterprise"]) == (world.inst_a.pk, world.ent_a.pk)


def test_a_contract_without_a_source_is_the_committees_with_a_reason_and_counted_apart(world, as_user):
    from outcomes.reports import kpi

    body = {
        "contract_type": "transfer",
        "title": "场外合同",
        "amount": "30",
        "signed_on": timezone.localdate().isoformat(),
        "institution": world.inst_a.pk,
        "enterprise": world.ent_a.pk,
    }
    before = fingerprint()
    assert as_user("broker").post("/api/v1/contracts/", body, format="json").status_code == 403
    assert as_user("inst_a").post("/api/v1/contracts/", body, format="json").status_code == 403
    no_reason = as_user("organiser").post("/api/v1/contracts/", body, format="json")
    assert no_reason.status_code == 400 and set(no_reason.json()["error"]["fields"]) == {"direct_reason"}
    assert fingerprint() == before
    created = as_user("organiser").post(
        "/api/v1/contracts/", {**body, "direct_reason": "线下登记的技术合同"}, format="json"
    )
    assert created.status_code == 201
    assert (created.json()["source"], created.json()["direct_reason"]) == ("direct", "线下登记的技术合同")
    report = kpi(timezone.localdate().year)
    assert report["direct_contracts"] == {"count": 1, "value": 30.0}
    contracts = next(i for i in report["indicators"] if i["code"] == "contracts")
    assert contracts["actual"] == 1


@pytest.fixture
def others_match(world):
    """A match at "negotiating", assigned to another broker."""
    other = UserFactory(username="broker2", role=Role.BROKER, agency=AgencyFactory())
    return _match(make_need(world.ent_a), make_achievement(world.inst_a), broker=other, stage=Stage.NEGOTIATING)


def test_a_broker_cannot_work_another_brokers_match(world, as_user, others_match):
    api = as_user("broker")
    assert api.get(f"/api/v1/matches/{others_match.pk}/").status_code == 200  # may read it
    web = Client()
    web.force_login(world.users["broker"])
    before = fingerprint()
    moved = api.post(f"/api/v1/matches/{others_match.pk}/transition/", {"stage": "declined", "reason": "price"})
    assert moved.status_code == 403
    contract = api.post(
        "/api/v1/contracts/",
        {
            "contract_type": "licence",
            "title": "合同",
            "amount": "10",
            "signed_on": timezone.localdate().isoformat(),
            "match": others_match.pk,
        },
        format="json",
    )
    assert contract.status_code == 403
    base = f"/broker/matches/{others_match.pk}/"
    assert web.post(base + "transition/", {"stage": "declined", "reason": "price"}).status_code == 403
    assert web.post(base + "note/", {"text": "我来跟进"}).status_code == 403
    assert web.post(base + "contract/", {"contract_type": "licence"}).status_code == 403
    assert fingerprint() == before
    assert 'id="not-yours"' in web.get(base).content.decode()  # reading it is logged, so after the check
    assert not MatchNote.objects.exists() and not TechnologyContract.objects.exists()


def test_a_broker_with_a_conflict_of_interest_cannot_work_their_match(world, as_user):
    own_office = AgencyFactory(institution=world.inst_a)
    broker = UserFactory(username="office_broker", role=Role.BROKER, agency=own_office)
    match = _match(make_need(world.ent_a), make_achievement(world.inst_a), broker=broker, stage=Stage.NEGOTIATING)
    api = as_user(None)
    api.force_authenticate(broker)
    before = fingerprint()
    assert api.post(f"/api/v1/matches/{match.pk}/transition/", {"stage": "withdrawn"}).status_code == 403
    assert fingerprint() == before


def test_the_assigned_broker_works_the_match(world, as_user):
    match = _match(make_need(world.ent_a), make_achievement(world.inst_a), broker=world.users["broker"])
    moved = as_user("broker").post(f"/api/v1/matches/{match.pk}/transition/", {"stage": "shortlisted"})
    assert moved.status_code == 200 and moved.json()["stage"] == "shortlisted"


def test_a_meeting_credits_one_contract_once_it_was_held(world, as_user):
    """A party's word credits the other organisation: not for a meeting that never took place,
    and not again and again for the same meeting (each would count in the KPI figures)."""
    meeting = _meeting(_event(world), world.users["inst_a"], world.users["ent_a"])
    body = {
        "contract_type": "development",
        "title": "合同",
        "amount": "10",
        "signed_on": timezone.localdate().isoformat(),
        "meeting": meeting.pk,
    }
    api = as_user("inst_a")
    before = fingerprint()
    scheduled = api.post("/api/v1/contracts/", body, format="json")
    assert scheduled.status_code == 400 and set(scheduled.json()["error"]["fields"]) == {"meeting"}
    assert fingerprint() == before
    Meeting.objects.filter(pk=meeting.pk).update(status="held", holder_rating=5)  # one side's word only
    before = fingerprint()
    one_side = api.post("/api/v1/contracts/", body, format="json")
    assert one_side.status_code == 400 and set(one_side.json()["error"]["fields"]) == {"meeting"}
    assert fingerprint() == before
    Meeting.objects.filter(pk=meeting.pk).update(enterprise_rating=4)  # the other side confirms
    assert api.post("/api/v1/contracts/", body, format="json").status_code == 201
    after_first = fingerprint()
    again = as_user("ent_a").post("/api/v1/contracts/", body, format="json")
    assert again.status_code == 400 and set(again.json()["error"]["fields"]) == {"meeting"}
    assert fingerprint() == after_first
    assert TechnologyContract.objects.filter(meeting=meeting).count() == 1


def test_registrations_of_an_event_one_has_not_joined_answer_as_missing(world, as_user):
    """A meeting request to a registration of an event the sender has not joined said 403 (so the
    registration exists) where a missing one said 400: registrations could be counted."""
    event = _event(world)
    receiver = Registration.objects.create(event=event, user=world.users["inst_b"], side="holder")
    api = as_user("ent_b")  # not registered for the event
    before = fingerprint()
    hidden = api.post("/api/v1/meeting-requests/", {"receiver": receiver.pk}, format="json")
    missing = api.post("/api/v1/meeting-requests/", {"receiver": receiver.pk + 1000}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["error"]["fields"]["receiver"][0] == missing.json()["error"]["fields"]["receiver"][0].replace(
        str(receiver.pk + 1000), str(receiver.pk)
    )
    assert fingerprint() == before
    Registration.objects.create(event=event, user=world.users["ent_b"], side="enterprise")
    assert api.post("/api/v1/meeting-requests/", {"receiver": receiver.pk}, format="json").status_code == 201
