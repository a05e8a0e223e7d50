"""KPI reports: figures computed from the records, constant query counts, the annual workbook."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from core.models import District, TechnicalField
from matchmaking.models import Match, MatchEvent, Stage
from outcomes import reports
from outcomes.models import ProgrammeTarget, TechnologyContract
from tests.factories import AgencyFactory, UserFactory, make_achievement, make_need

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def _contract(amount, signed_on, **fields):
    return TechnologyContract.objects.create(
        contract_type="transfer", title="合同", amount=Decimal(amount), signed_on=signed_on, **fields
    )


def _introduced(match, broker, at):
    event = MatchEvent.objects.create(match=match, actor=broker, from_stage="shortlisted", to_stage=Stage.INTRODUCED)
    MatchEvent.objects.filter(pk=event.pk).update(created_at=at)


@pytest.fixture
def records(world):
    field = TechnicalField.objects.get(code="new-energy")
    district = District.objects.first()
    world.inst_a.district = district
    world.inst_a.save()
    broker = world.users["broker"]
    need = make_need(world.ent_a)
    achievements = [make_achievement(world.inst_a), make_achievement(world.inst_a)]
    matches = [
        Match.objects.create(need=need, achievement=a, score=0.5, algorithm_version="t", broker=broker)
        for a in achievements
    ]
    start = timezone.make_aware(datetime(YEAR, 1, 15, 10))
    Match.objects.filter(pk__in=[m.pk for m in matches]).update(created_at=start - timedelta(days=3))
    _introduced(matches[0], broker, start)
    _introduced(matches[1], broker, start + timedelta(days=1))
    _contract(
        "300",
        date(YEAR, 1, 20),
        field=field,
        district=district,
        institution=world.inst_a,
        broker=broker,
        agency=world.agency,
    )
    _contract("200", date(YEAR, 3, 2), field=field, institution=world.inst_a)
    _contract("400", date(YEAR - 1, 6, 1), field=field)
    ProgrammeTarget.objects.create(
        year=YEAR,
        events_held=400,
        achievements_collected=2000,
        achievements_matched=3000,
        brokers_active=1000,
        contract_value=0,
    )
    return {"field": field, "district": district, "broker": broker}


def test_kpi_against_targets_and_last_year(api, as_user, records):
    as_user("organiser")
    body = api.get(f"/api/v1/reports/kpi/?year={YEAR}").json()
    by_code = {i["code"]: i for i in body["indicators"]}
    assert by_code["contract_value"]["actual"] == 500.0 and by_code["contract_value"]["last_year"] == 400.0
    assert by_code["contract_value"]["growth_pct"] == 25.0
    assert by_code["contract_value"]["target"] == 440.0  # no absolute target: last year + 10 %
    assert by_code["contract_value"]["target_rule"] == "growth"
    assert body["contract_value_target_rule"] == "growth"
    assert by_code["events_held"]["target_rule"] == "absolute"
    assert by_code["introductions"]["target_rule"] is None  # no target, no rule
    assert by_code["contract_value"]["completion_pct"] == pytest.approx(113.6)
    assert by_code["achievements_matched"]["actual"] == 2  # two achievements introduced
    assert by_code["achievements_collected"]["actual"] == 2
    assert by_code["brokers_active"]["actual"] == 1
    assert by_code["contracts"]["actual"] == 2


def test_breakdowns_by_month_field_district_institution_agency(api, as_user, records, world):
    as_user("organiser")
    months = api.get(f"/api/v1/reports/breakdown/?year={YEAR}&by=month").json()["rows"]
    assert len(months) == 12
    assert (months[0]["contracts"], months[0]["contract_value"], months[0]["introductions"]) == (1, 300.0, 2)
    assert months[2]["contract_value"] == 200.0
    fields = api.get(f"/api/v1/reports/breakdown/?year={YEAR}&by=field").json()["rows"]
    assert fields[0]["key"] == "new-energy" and fields[0]["contract_value"] == 500.0
    assert fields[0]["label"] == records["field"].name_zh
    institutions = api.get(f"/api/v1/reports/breakdown/?year={YEAR}&by=institution").json()["rows"]
    assert institutions[0] == {
        "key": world.inst_a.name,
        "label": world.inst_a.name,
        "contracts": 2,
        "contract_value": 500.0,
        "introductions": 2,
        "achievements": 2,
    }
    agencies = api.get(f"/api/v1/reports/breakdown/?year={YEAR}&by=agency").json()["rows"]
    assert {r["key"]: r["contract_value"] for r in agencies} == {world.agency.name: 300.0, None: 200.0}
    bad = api.get(f"/api/v1/reports/breakdown/?year={YEAR}&by=colour")
    assert bad.status_code == 400 and "by" in bad.json()["error"]["fields"]
    assert api.get("/api/v1/reports/kpi/?year=20x6").status_code == 400


def test_broker_and_agency_performance(api, as_user, records, world):
    UserFactory(role=Role.BROKER, agency=AgencyFactory(name="空闲机构"))
    as_user("organiser")
    rows = api.get(f"/api/v1/reports/brokers/?year={YEAR}").json()["rows"]
    top = rows[0]
    assert top["broker_id"] == records["broker"].pk
    assert (top["caseload"], top["introductions"], top["contracts"], top["contract_value"]) == (2, 2, 1, 300.0)
    assert top["median_days_to_introduction"] == 3.5  # 3 and 4 days from suggestion to introduction
    assert rows[1]["introductions"] == 0 and rows[1]["median_days_to_introduction"] is None
    agencies = api.get(f"/api/v1/reports/agencies/?year={YEAR}").json()["rows"]
    assert agencies[0]["agency"] == world.agency.name and agencies[0]["contract_value"] == 300.0


def test_reports_are_for_the_committee_only(api, as_user, records):
    for who in ("broker", "inst_a", "ent_a"):
        as_user(who)
        for url in ("kpi/", "breakdown/", "brokers/", "agencies/", "challenges/", "annual.xlsx"):
            response = api.get(f"/api/v1/reports/{url}?year={YEAR}")
            assert response.status_code == 403, (who, url)
            assert "500" not in response.content.decode(errors="ignore")
        assert api.post("/api/v1/targets/", {"year": 2030}, format="json").status_code == 403
    assert ProgrammeTarget.objects.count() == 1


def test_annual_report_workbook(api, as_user, records):
    as_user("organiser")
    response = api.get(f"/api/v1/reports/annual.xlsx?year={YEAR}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 8
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert summary[0][:4] == ("序号", "指标", "年度目标", "完成值")
    value_row = next(r for r in summary if "合同成交额" in str(r[1]))
    assert value_row[2:8] == (440.0, 500.0, 113.6, 400.0, 25.0, "上年成交额 + 10.0%")


@pytest.mark.parametrize(("absolute", "expected"), [("300", 300.0), ("900", 900.0)])
def test_an_absolute_contract_value_target_is_never_overridden_by_growth(api, as_user, records, absolute, expected):
    """Last year 400, growth 10 %: 440 would be the growth figure. A set target, below or above
    it, is the target as set (it used to be raised to max(set, last year + growth))."""
    ProgrammeTarget.objects.filter(year=YEAR).update(contract_value=Decimal(absolute))
    as_user("organiser")
    body = api.get(f"/api/v1/reports/kpi/?year={YEAR}").json()
    value = next(i for i in body["indicators"] if i["code"] == "contract_value")
    assert (value["target"], value["target_rule"], value["actual"]) == (expected, "absolute", 500.0)
    assert value["completion_pct"] == round(500 * 100 / expected, 1)
    assert body["contract_value_target_rule"] == "absolute"

    workbook = load_workbook(io.BytesIO(api.get(f"/api/v1/reports/annual.xlsx?year={YEAR}").content))
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert summary[0][7] == "目标依据"
    row = next(r for r in summary if "合同成交额" in str(r[1]))
    assert (row[2], row[7]) == (expected, "年度设定值")


def test_the_dashboard_says_which_rule_gave_the_value_target(as_user, records, world):
    from django.test import Client

    client = Client()
    client.force_login(world.users["organiser"])
    page = client.get(f"/dashboard/?year={YEAR}").content.decode()
    assert "440.0<br><small>上年成交额 + 10.0%</small>" in page
    ProgrammeTarget.objects.filter(year=YEAR).update(contract_value=Decimal("300"))
    page = client.get(f"/dashboard/?year={YEAR}").content.decode()
    assert "300.0<br><small>年度设定值</small>" in page


def test_report_queries_do_not_grow_with_rows(records, world):
    def count():
        with CaptureQueriesContext(connection) as context:
            reports.kpi(YEAR)
            for dimension in reports.DIMENSIONS:
                reports.breakdown(YEAR, dimension)
            reports.broker_performance(YEAR)
            reports.challenge_funnel(YEAR)
        return len(context.captured_queries)

    before = count()
    for i in range(5):
        _contract(
            "10",
            date(YEAR, 5, 1 + i),
            institution=world.inst_b,
            broker=UserFactory(role=Role.BROKER, agency=AgencyFactory()),
        )
    assert count() == before == 40
