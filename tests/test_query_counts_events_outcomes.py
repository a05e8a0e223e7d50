"""No N+1 on the event and outcome lists: the same, exact number of queries for 1 and for 3 rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from events.models import MatchmakingEvent
from outcomes.challenges import challenge_submit
from outcomes.models import ProgrammeTarget, TechnologyContract, UseFirstLicence

from .events.test_events_api import event_payload
from .factories import UserFactory, make_need


def _event(as_user, **overrides):
    response = as_user("organiser").post("/api/v1/events/", event_payload(**overrides), format="json")
    assert response.status_code == 201, response.json()
    return MatchmakingEvent.objects.get(pk=response.json()["id"])


def _contract(world, i):
    return TechnologyContract.objects.create(
        contract_type="license",
        title=f"合同{i}",
        amount=Decimal("100"),
        signed_on=date(2026, 1, 1 + i),
        institution=world.inst_a,
        enterprise=world.ent_a,
        broker=world.users["broker"],
        agency=world.agency,
    )


def make_events(n, world, as_user):
    for i in range(n):
        _event(as_user, title=f"对接会{i}")


def make_programmes(n, world, as_user):
    for i in range(n):
        body = {"name": f"计划{n}-{i}", "year": 2027, "themes": [{"field": "new-energy", "wanted_events": 2}]}
        response = as_user("organiser").post("/api/v1/programmes/", body, format="json")
        assert response.status_code == 201, response.json()


def make_venues(n, world, as_user):
    for i in range(n):
        venue = as_user("organiser").post(
            "/api/v1/venues/", {"name": f"会场{n}-{i}", "address": "天府大道"}, format="json"
        )
        assert venue.status_code == 201, venue.json()
        room = {"venue": venue.json()["id"], "name": "一号厅", "capacity": 50, "tables": 5}
        assert as_user("organiser").post("/api/v1/rooms/", room, format="json").status_code == 201


def make_holidays(n, world, as_user):
    for i in range(n):
        body = {"date": f"2027-0{n + 5}-1{i + 1}", "name": "场馆检修"}  # days the official calendar keeps open
        assert as_user("organiser").post("/api/v1/holidays/", body, format="json").status_code == 201


def make_meeting_requests(n, world, as_user):
    event = _event(as_user)
    url = f"/api/v1/events/{event.pk}/register/"
    # a third researcher, so that three different pairs can all involve ent_a
    world.users.setdefault("inst_a2", UserFactory(role=Role.INSTITUTION, institution=world.inst_a))
    ids = {}
    for name in ("ent_a", "inst_a", "inst_b", "inst_a2", "broker"):
        response = as_user(name).post(url, {}, format="json")
        assert response.status_code == 201, response.json()
        ids[name] = response.json()["id"]
    for i, sender in enumerate(["inst_a", "inst_b", "inst_a2"][:n]):
        body = {"sender": ids[sender], "receiver": ids["ent_a"], "message": f"推荐{i}"}
        assert as_user("broker").post("/api/v1/meeting-requests/", body, format="json").status_code == 201


def make_challenges(n, world, as_user):
    for i in range(n):
        need = make_need(
            world.ent_a,
            title=f"揭榜{i}",
            status="draft",
            is_challenge=True,
            challenge_award=100,
            challenge_closes_on=timezone.localdate() + timedelta(days=30),
        )
        challenge_submit(actor=world.users["ent_a"], need=need)


def make_contracts(n, world, as_user):
    for i in range(n):
        _contract(world, i)


def make_licences(n, world, as_user):
    for i in range(n):
        UseFirstLicence.objects.create(
            contract=_contract(world, i), free_use_from=date(2026, 1, 1), free_use_until=date(2026, 12, 31)
        )


def make_targets(n, world, as_user):
    for i in range(n):
        ProgrammeTarget.objects.create(year=2030 + 10 * n + i)


# kind: (rows maker, queries: count + page + one prefetch per many-valued relation, roles that see the rows)
LISTS = {
    "events": (make_events, 3, ["organiser", "ent_a"]),
    "programmes": (make_programmes, 4, ["organiser"]),
    "venues": (make_venues, 3, ["organiser", "ent_a"]),
    "rooms": (make_venues, 2, ["organiser", "ent_a"]),
    "holidays": (make_holidays, 2, ["organiser", "inst_a"]),
    "meeting-requests": (make_meeting_requests, 2, ["broker", "ent_a"]),
    "challenges": (make_challenges, 2, ["organiser", "ent_a"]),
    "contracts": (make_contracts, 2, ["organiser", "broker", "ent_a"]),
    "licences": (make_licences, 2, ["organiser", "broker", "ent_a"]),
    "targets": (make_targets, 2, ["organiser"]),
}
CASES = [(kind, role) for kind, (_maker, _queries, roles) in LISTS.items() for role in roles]


@pytest.mark.parametrize(("kind", "role"), CASES)
@pytest.mark.parametrize("rows", [1, 3])
def test_list_query_count_is_constant(as_user, world, django_assert_num_queries, kind, role, rows):
    maker, queries, _roles = LISTS[kind]
    maker(rows, world, as_user)
    client = as_user(role)
    with django_assert_num_queries(queries):
        response = client.get(f"/api/v1/{kind}/")
    assert response.status_code == 200
    assert response.json()["count"] == rows
