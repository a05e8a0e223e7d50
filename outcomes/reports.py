"""KPI figures computed from the records, each by a handful of grouped queries (never one
query per row), so they stay fast with 100,000 matches and 10,000 contracts (bench/kpi_bench.py).

Definitions, for a calendar year:
- events held: matchmaking events that ended in the year and were not drafts or cancelled;
- achievements collected: achievements created in the year (drafts excluded);
- achievements matched: distinct achievements introduced to an enterprise in the year
  (a match moved to "introduced");
- brokers active: brokers who moved at least one match in the year;
- contract value: the sum of technology contracts signed in the year, and its growth over
  the year before.

The contract value target (`contract_value_target`): an absolute target set for the year
(`contract_value` above zero) is the target as set, never raised or lowered; only when none is set
(zero) is the target last year's value plus `contract_growth_pct`. Each indicator says which rule
gave its target (`target_rule`: "absolute", "growth", or none without a target).
"""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, DecimalField, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from accounts.models import Role
from achievements.models import Achievement, AchievementStatus
from events.models import EventStatus, MatchmakingEvent, Meeting, MeetingStatus
from matchmaking.models import OPEN_STAGES, Match, MatchEvent, Stage

from .models import Bid, BidStatus, Challenge, ChallengeStage, ProgrammeTarget, TechnologyContract

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
DIMENSIONS = ("month", "field", "district", "institution", "agency")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), tz),
        timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), tz),
    )


def _contracts(year: int):
    return TechnologyContract.objects.filter(signed_on__year=year)


def _introductions(year: int):
    start, end = year_bounds(year)
    return MatchEvent.objects.filter(to_stage=Stage.INTRODUCED, created_at__gte=start, created_at__lt=end)


def _percent(actual, target) -> float | None:
    return round(float(actual) * 100 / float(target), 1) if target else None


TARGET_ABSOLUTE, TARGET_GROWTH = "absolute", "growth"


def contract_value_target(target: ProgrammeTarget | None, last_year_value) -> tuple[Decimal | None, str | None]:
    """The year's contract value target and the rule that gave it (see the module docstring)."""
    if target is None:
        return None, None
    if target.contract_value:
        return Decimal(target.contract_value), TARGET_ABSOLUTE
    grown = Decimal(last_year_value) * (1 + Decimal(target.contract_growth_pct) / 100)
    return grown, TARGET_GROWTH


@dataclass
class Indicator:
    code: str
    actual: float
    target: float | None
    last_year: float
    target_rule: str | None = None

    def as_dict(self) -> dict:
        growth = None
        if self.last_year:
            growth = round((float(self.actual) - float(self.last_year)) * 100 / float(self.last_year), 1)
        return {
            "code": self.code,
            "actual": self.actual,
            "target": self.target,
            "completion_pct": _percent(self.actual, self.target),
            "last_year": self.last_year,
            "growth_pct": growth,
            "target_rule": self.target_rule if self.target is not None else None,
        }


def actuals(year: int) -> dict:
    start, end = year_bounds(year)
    now = timezone.now()
    events = MatchmakingEvent.objects.filter(ends_at__gte=start, ends_at__lt=min(end, now)).exclude(
        status__in=[EventStatus.DRAFT, EventStatus.CANCELLED]
    )
    direct = Q(match__isnull=True, challenge__isnull=True, meeting__isnull=True)  # no source behind them
    contracts = _contracts(year).aggregate(
        count=Count("id"),
        value=Coalesce(Sum("amount"), ZERO),
        direct_count=Count("id", filter=direct),
        direct_value=Coalesce(Sum("amount", filter=direct), ZERO),
    )
    introductions = _introductions(year)
    return {
        "events_held": events.count(),
        "achievements_collected": Achievement.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=AchievementStatus.DRAFT)
        .count(),
        "achievements_matched": introductions.values("match__achievement_id").distinct().count(),
        "brokers_active": MatchEvent.objects.filter(created_at__gte=start, created_at__lt=end, actor__role=Role.BROKER)
        .values("actor_id")
        .distinct()
        .count(),
        "introductions": introductions.count(),
        "meetings_held": Meeting.objects.filter(
            starts_at__gte=start, starts_at__lt=end, status=MeetingStatus.HELD
        ).count(),
        "contracts": contracts["count"],
        "contract_value": contracts["value"],
        "direct_contracts": {"count": contracts["direct_count"], "value": float(contracts["direct_value"])},
    }


def kpi(year: int) -> dict:
    """Targets against actuals, with last year's figures and the growth."""
    target = ProgrammeTarget.objects.filter(year=year).first()
    now, before = actuals(year), actuals(year - 1)
    contract_target, contract_rule = contract_value_target(target, before["contract_value"])
    indicators = [
        Indicator(code, now[code], getattr(target, code, None), before[code], TARGET_ABSOLUTE)
        for code in ("events_held", "achievements_collected", "achievements_matched", "brokers_active")
    ]
    indicators += [
        Indicator("introductions", now["introductions"], None, before["introductions"]),
        Indicator("meetings_held", now["meetings_held"], None, before["meetings_held"]),
        Indicator("contracts", now["contracts"], None, before["contracts"]),
        Indicator(
            "contract_value",
            float(now["contract_value"]),
            float(round(contract_target, 2)) if contract_target is not None else None,
            float(before["contract_value"]),
            contract_rule,
        ),
    ]
    return {
        "year": year,
        "has_targets": target is not None,
        "contract_growth_target_pct": float(target.contract_growth_pct) if target else None,
        "contract_value_target_rule": contract_rule,
        "indicators": [i.as_dict() for i in indicators],
        # contracts recorded by the committee without a match, challenge or meeting behind them
        # (included in the contract figures above, and shown apart so they can be checked)
        "direct_contracts": now["direct_contracts"],
    }


def _group(dimension: str) -> dict:
    """For each dimension: how contracts, introductions and achievements group by it."""
    if dimension == "month":
        return {
            "contracts": ExtractMonth("signed_on"),
            "introductions": ExtractMonth("created_at"),
            "achievements": ExtractMonth("created_at"),
        }
    paths = {
        "field": ("field__code", "match__need__field__code", "field__code"),
        "district": ("district__code", "match__need__enterprise__district__code", "institution__district__code"),
        "institution": ("institution__name", "match__achievement__institution__name", "institution__name"),
        "agency": ("agency__name", "match__broker__agency__name", "institution__name"),
    }[dimension]
    return {"contracts": F(paths[0]), "introductions": F(paths[1]), "achievements": F(paths[2])}


def breakdown(year: int, dimension: str) -> list[dict]:
    """Contracts (count, value), introductions and achievements collected by one dimension.
    Achievements have no agency: for `agency` their column is left empty."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    start, end = year_bounds(year)
    group = _group(dimension)
    rows: dict = {}

    def row(key):
        return rows.setdefault(
            key,
            {"key": key, "contracts": 0, "contract_value": Decimal("0"), "introductions": 0, "achievements": 0},
        )

    for item in (
        _contracts(year)
        .annotate(key=group["contracts"])
        .values("key")
        .annotate(count=Count("id"), value=Coalesce(Sum("amount"), ZERO))
    ):
        entry = row(item["key"])
        entry["contracts"], entry["contract_value"] = item["count"], item["value"]
    for item in _introductions(year).annotate(key=group["introductions"]).values("key").annotate(count=Count("id")):
        row(item["key"])["introductions"] = item["count"]
    if dimension != "agency":
        collected = Achievement.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
            status=AchievementStatus.DRAFT
        )
        for item in collected.annotate(key=group["achievements"]).values("key").annotate(count=Count("id")):
            row(item["key"])["achievements"] = item["count"]
    if dimension == "month":
        for month in range(1, 13):
            row(month)
    labels = _labels(dimension)
    result = []
    for key, entry in rows.items():
        entry["label"] = labels.get(key, key) if key is not None else None
        entry["contract_value"] = float(entry["contract_value"])
        result.append(entry)
    if dimension == "month":
        return sorted(result, key=lambda r: r["key"] or 0)
    return sorted(result, key=lambda r: (-r["contract_value"], -r["introductions"], str(r["key"])))


def _labels(dimension: str) -> dict:
    from core.models import District, TechnicalField

    if dimension == "field":
        return {f.code: f.name for f in TechnicalField.objects.all()}
    if dimension == "district":
        return {d.code: d.name for d in District.objects.all()}
    return {}


def broker_performance(year: int, *, brokers=None) -> list[dict]:
    """Per broker: open caseload now, and in the year introductions, meetings, contracts (count,
    value) and the median days from suggestion to introduction."""
    from accounts.models import User

    start, end = year_bounds(year)
    people = User.objects.filter(role=Role.BROKER).select_related("agency")
    if brokers is not None:
        people = people.filter(pk__in=[b.pk for b in brokers])
    rows = {
        b.pk: {
            "broker_id": b.pk,
            "broker": b.get_full_name() or b.username,
            "agency": b.agency.name if b.agency_id else None,
            "caseload": 0,
            "introductions": 0,
            "meetings": 0,
            "contracts": 0,
            "contract_value": 0.0,
            "median_days_to_introduction": None,
        }
        for b in people
    }
    for item in (
        Match.objects.filter(stage__in=OPEN_STAGES, broker_id__in=rows).values("broker_id").annotate(n=Count("id"))
    ):
        rows[item["broker_id"]]["caseload"] = item["n"]
    moves = (
        MatchEvent.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            actor_id__in=rows,
            to_stage__in=[Stage.INTRODUCED, Stage.MEETING],
        )
        .values("actor_id")
        .annotate(
            introductions=Count("id", filter=Q(to_stage=Stage.INTRODUCED)),
            meetings=Count("id", filter=Q(to_stage=Stage.MEETING)),
        )
    )
    for item in moves:
        rows[item["actor_id"]].update(introductions=item["introductions"], meetings=item["meetings"])
    for item in (
        _contracts(year)
        .filter(broker_id__in=rows)
        .values("broker_id")
        .annotate(n=Count("id"), value=Coalesce(Sum("amount"), ZERO))
    ):
        rows[item["broker_id"]].update(contracts=item["n"], contract_value=float(item["value"]))
    days: dict[int, list[float]] = {}
    delays = (
        _introductions(year)
        .filter(actor__role=Role.BROKER)
        .annotate(delay=ExpressionWrapper(F("created_at") - F("match__created_at"), output_field=DurationField()))
        .values_list("actor_id", "delay")
    )
    for actor_id, delay in delays:
        if actor_id in rows:
            days.setdefault(actor_id, []).append(delay.total_seconds() / 86400)
    for actor_id, values in days.items():
        rows[actor_id]["median_days_to_introduction"] = round(statistics.median(values), 1)
    return sorted(rows.values(), key=lambda r: (-r["contract_value"], -r["introductions"], r["broker"]))


def agency_performance(year: int) -> list[dict]:
    """The brokers' figures summed per agency (median of the brokers' medians for the delay)."""
    agencies: dict = {}
    for row in broker_performance(year):
        name = row["agency"]
        entry = agencies.setdefault(
            name,
            {
                "agency": name,
                "brokers": 0,
                "caseload": 0,
                "introductions": 0,
                "meetings": 0,
                "contracts": 0,
                "contract_value": 0.0,
                "_days": [],
            },
        )
        entry["brokers"] += 1
        for key in ("caseload", "introductions", "meetings", "contracts", "contract_value"):
            entry[key] += row[key]
        if row["median_days_to_introduction"] is not None:
            entry["_days"].append(row["median_days_to_introduction"])
    result = []
    for entry in agencies.values():
        values = entry.pop("_days")
        entry["median_days_to_introduction"] = round(statistics.median(values), 1) if values else None
        entry["contract_value"] = round(entry["contract_value"], 2)
        result.append(entry)
    return sorted(result, key=lambda r: (-r["contract_value"], str(r["agency"])))


def challenge_funnel(year: int) -> dict:
    """Needs taken in as challenges in the year, and how far they got."""
    start, end = year_bounds(year)
    taken_in = Challenge.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    solved = (ChallengeStage.AWARDED, ChallengeStage.CONTRACTED)
    figures = taken_in.aggregate(
        taken_in=Count("id"),
        published=Count("id", filter=Q(published_at__isnull=False)),
        solved=Count("id", filter=Q(stage__in=solved)),
        funded=Count("id", filter=Q(stage=ChallengeStage.CONTRACTED)),
        award_total=Coalesce(Sum("award", filter=Q(stage__in=solved)), ZERO),
    )
    figures["bid_on"] = (
        Bid.objects.filter(challenge__in=taken_in)
        .exclude(status=BidStatus.WITHDRAWN)
        .values("challenge_id")
        .distinct()
        .count()
    )
    figures["bids"] = Bid.objects.filter(challenge__in=taken_in).exclude(status=BidStatus.WITHDRAWN).count()
    figures["funded_value"] = float(
        TechnologyContract.objects.filter(challenge__in=taken_in).aggregate(v=Coalesce(Sum("amount"), ZERO))["v"]
    )
    figures["award_total"] = float(figures["award_total"])
    return {"year": year, **figures}
