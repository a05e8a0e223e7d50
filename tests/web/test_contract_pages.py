"""The contracts page: each party, the broker and the committee see their contracts, and the
parties record a 先使用后付费 licence's evaluation and payment in the web, with errors next to
their fields; nobody else sees or touches them."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outcomes.models import LicenceStatus, TechnologyContract, UseFirstLicence

from .clients import client_for


def _contract(world, title="相变储热许可", *, licence=True, enterprise=None):
    contract = TechnologyContract.objects.create(
        contract_type="licence",
        title=title,
        amount=Decimal("120"),
        signed_on=date(2026, 3, 1),
        institution=world.inst_a,
        enterprise=enterprise or world.ent_a,
        broker=world.users["broker"],
        agency=world.agency,
    )
    if licence:
        today = timezone.localdate()
        UseFirstLicence.objects.create(
            contract=contract, free_use_from=today - timedelta(days=80), free_use_until=today + timedelta(days=10)
        )
    return contract


def test_each_party_the_broker_and_the_committee_see_the_contract_and_nobody_else(world):
    _contract(world)
    _contract(world, title="乙企业的保密合同", licence=False, enterprise=world.ent_b)
    for role in ("inst_a", "ent_a", "broker", "admin"):
        page = client_for(world, role, "zh-hans").get("/contracts/").content.decode()
        assert "相变储热许可" in page and "先使用后付费" in page, role
    assert "乙企业的保密合同" not in client_for(world, "ent_a").get("/contracts/").content.decode()
    assert "相变储热许可" not in client_for(world, "inst_b").get("/contracts/").content.decode()
    assert "相变储热许可" not in client_for(world, "ent_b").get("/contracts/").content.decode()


def test_keeping_a_licence_without_the_payment_says_so_next_to_the_fields_and_keeps_the_input(world):
    licence = _contract(world).licence
    response = client_for(world, "ent_a").post(
        f"/contracts/licences/{licence.pk}/evaluate/",
        {f"l{licence.pk}-keep": "yes", f"l{licence.pk}-evaluation": "节能 18%"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Keeping the licence needs the payment agreed." in html
    assert "Keeping the licence needs the date the payment is due." in html
    assert "节能 18%" in html  # what was typed is still there
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.FREE_USE and licence.evaluation == ""


def test_a_party_keeps_the_licence_and_then_records_the_payment(world):
    licence = _contract(world).licence
    client = client_for(world, "ent_a")
    due = (timezone.localdate() + timedelta(days=60)).isoformat()
    done = client.post(
        f"/contracts/licences/{licence.pk}/evaluate/",
        {
            f"l{licence.pk}-keep": "yes",
            f"l{licence.pk}-evaluation": "节能 18%",
            f"l{licence.pk}-payment_amount": "30",
            f"l{licence.pk}-payment_due_on": due,
        },
    )
    assert (
        done.status_code == 302
        and done["Location"] == f"/contracts/?contract={licence.contract_id}#licence-{licence.pk}"
    )
    licence.refresh_from_db()
    assert (licence.status, licence.payment_amount, licence.payment_due_on.isoformat()) == (
        LicenceStatus.EVALUATED,
        Decimal("30"),
        due,
    )
    page = client.get("/contracts/").content.decode()
    assert "Record the payment" not in page and "Record the evaluation" not in page  # the institution's step now
    assert "Record the payment" in client_for(world, "inst_a").get("/contracts/").content.decode()
    assert client.post(f"/contracts/licences/{licence.pk}/paid/", {}).status_code == 403  # the payer does not
    client_for(world, "inst_a").post(f"/contracts/licences/{licence.pk}/paid/", {})
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.PAID and licence.paid_on == timezone.localdate()


@pytest.mark.parametrize(("role", "status"), [("ent_b", 404), ("inst_b", 404), ("inst_a", 403)])
def test_others_cannot_record_the_evaluation_and_nothing_changes(world, role, status):
    """Outsiders do not find the licence; the institution sees it but the evaluation is the
    enterprise's step (the institution records the payment)."""
    licence = _contract(world).licence
    response = client_for(world, role).post(
        f"/contracts/licences/{licence.pk}/evaluate/", {f"l{licence.pk}-keep": "no", f"l{licence.pk}-evaluation": "x"}
    )
    assert response.status_code == status
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.FREE_USE and licence.evaluation == ""


def test_the_committee_may_record_a_step_and_the_parties_are_told(world):
    from notifications.models import Notification

    licence = _contract(world).licence
    response = client_for(world, "organiser").post(
        f"/contracts/licences/{licence.pk}/evaluate/",
        {f"l{licence.pk}-keep": "no", f"l{licence.pk}-evaluation": "不适用"},
    )
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.TERMINATED
    told = set(Notification.objects.filter(kind="licence").values_list("user__username", flat=True))
    assert told == {"inst_a", "ent_a", "broker"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"payment_amount": "999999999999"}, "payment_amount"),
        ({"payment_due_on": "2001-01-01"}, "payment_due_on"),
        ({"evaluation": "好\u202e坏"}, "evaluation"),
    ],
)
def test_implausible_licence_values_are_refused_beside_their_field(world, fields, error):
    licence = _contract(world).licence
    data = {"keep": "yes", "evaluation": "可用", "payment_amount": "30", "payment_due_on": "2027-06-01", **fields}
    response = client_for(world, "ent_a").post(
        f"/contracts/licences/{licence.pk}/evaluate/", {f"l{licence.pk}-{k}": v for k, v in data.items()}
    )
    assert response.status_code == 400
    invalid = re.findall(r'<div class="field invalid">(.*?)</div>', response.content.decode(), flags=re.S)
    assert [f'name="l{licence.pk}-{error}"' in field for field in invalid] == [True]  # beside that field only
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.FREE_USE


def test_the_licence_reminder_links_to_the_licence_on_the_contracts_page(world):
    from notifications.models import Notification
    from outcomes.contracts import licence_reminders

    licence = _contract(world).licence
    assert licence_reminders() == 1
    note = Notification.objects.filter(user=world.users["ent_a"]).get()
    assert note.url == f"/contracts/?contract={licence.contract_id}#licence-{licence.pk}"


@pytest.mark.parametrize("count", [1, 3])
def test_the_contracts_page_reads_a_fixed_number_of_queries(world, count):
    for i in range(count):
        _contract(world, title=f"合同{i}")
    client = client_for(world, "ent_a")
    client.get("/contracts/")  # the session and the user are loaded once per request either way
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/contracts/").status_code == 200
    # session, user, unread count, page count, the page's contracts with their licences
    assert len(queries) == 5, [q["sql"] for q in queries]


def test_the_parties_are_told_of_a_recorded_contract_with_a_link_to_it(world):
    from matchmaking.models import Match
    from notifications.models import Notification
    from outcomes.contracts import contract_create

    from ..factories import make_achievement, make_need

    match = Match.objects.create(
        need=make_need(world.ent_a, title="储能需求"),
        achievement=make_achievement(world.inst_a, title="储能成果"),
        score=0.7,
        stage="negotiating",
        broker=world.users["broker"],
    )
    contract = contract_create(
        actor=world.users["broker"],
        contract_type="transfer",
        title="储能转让",
        amount=Decimal("50"),
        signed_on=timezone.localdate(),
        match=match,
    )
    urls = set(Notification.objects.filter(kind="match_stage").values_list("user__username", "url"))
    assert urls == {("ent_a", f"/contracts/?contract={contract.pk}"), ("inst_a", f"/contracts/?contract={contract.pk}")}
