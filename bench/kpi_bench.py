"""KPI report benchmark: every report over 100,000 matches and 10,000 contracts.

Fills a throw-away database (SQLite by default, PostgreSQL with DATABASE_URL) with a year of
records, then times each report (median of several runs) against a baseline in the same run:
one grouped aggregate over each table the reports read (matches, match events, contracts), the
least any report over them must read. For scale, it also times a naive report that loads the
rows and adds them up in Python.

    python bench/kpi_bench.py [--matches 100000] [--contracts 10000] [--json FILE]
"""

import argparse
import random
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from _db import print_table, scratch_database, write_json


def populate(n_matches: int, n_contracts: int, year: int) -> dict:
    from django.utils import timezone

    from accounts.models import Agency, Role, User
    from achievements.models import Achievement, Institution
    from core.models import District, TechnicalField
    from enterprises.models import Enterprise, TechnologyNeed
    from matchmaking.models import Match, MatchEvent, Stage
    from outcomes.models import ProgrammeTarget, TechnologyContract
    from tests.factories import valid_uscc

    rng = random.Random(7)
    fields, districts = list(TechnicalField.objects.all()), list(District.objects.all())
    institutions = Institution.objects.bulk_create(
        [Institution(name=f"基准大学{i}", district=districts[i % len(districts)]) for i in range(60)]
    )
    agencies = Agency.objects.bulk_create([Agency(name=f"基准服务机构{i}") for i in range(60)])
    brokers = User.objects.bulk_create(
        [User(username=f"bench-broker{i}", role=Role.BROKER, agency=agencies[i % 60]) for i in range(1000)]
    )
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"基准企业{i}", credit_code=valid_uscc(), district=districts[i % len(districts)])
            for i in range(500)
        ]
    )
    per_need = 100
    n_needs = max(1, n_matches // per_need)
    n_achievements = max(per_need * 2, 4000)
    achievements = Achievement.objects.bulk_create(
        [
            Achievement(
                institution=institutions[i % 60],
                title=f"基准成果{i}",
                title_key=f"bench-{i}",
                abstract="基准摘要",
                field=fields[i % len(fields)],
                status="published",
                keywords=[],
                trl=5,
            )
            for i in range(n_achievements)
        ],
        batch_size=2000,
    )
    needs = TechnologyNeed.objects.bulk_create(
        [
            TechnologyNeed(
                enterprise=enterprises[i % 500],
                title=f"基准需求{i}",
                description="基准",
                field=fields[i % len(fields)],
                status="published",
                keywords=[],
            )
            for i in range(n_needs)
        ],
        batch_size=2000,
    )
    start = timezone.make_aware(datetime(year, 1, 1))
    matches = []
    for n, need in enumerate(needs):
        for k, index in enumerate(rng.sample(range(n_achievements), per_need)):
            matches.append(
                Match(
                    need=need,
                    achievement=achievements[index],
                    score=rng.random(),
                    rank=k + 1,
                    algorithm_version="bench",
                    broker=brokers[(n + k) % 1000],
                    stage=Stage.INTRODUCED if k < 20 else Stage.SUGGESTED,
                )
            )
    Match.objects.bulk_create(matches, batch_size=5000)
    matches = list(Match.objects.filter(stage=Stage.INTRODUCED).values_list("pk", "broker_id"))
    events = MatchEvent.objects.bulk_create(
        [
            MatchEvent(match_id=pk, actor_id=broker, from_stage="shortlisted", to_stage=Stage.INTRODUCED)
            for pk, broker in matches
        ],
        batch_size=5000,
    )
    for i, event in enumerate(events):  # spread the introductions over the year
        event.created_at = start + timedelta(days=i % 330, hours=i % 24)
    MatchEvent.objects.bulk_update(events, ["created_at"], batch_size=5000)
    TechnologyContract.objects.bulk_create(
        [
            TechnologyContract(
                contract_type="transfer",
                title=f"基准合同{i}",
                amount=Decimal(rng.randint(5, 2000)),
                signed_on=date(year - (i % 5 == 0), 1 + i % 12, 1 + i % 28),
                institution=institutions[i % 60],
                enterprise=enterprises[i % 500],
                field=fields[i % len(fields)],
                district=districts[i % len(districts)],
                broker=brokers[i % 1000],
                agency=agencies[i % 60],
            )
            for i in range(n_contracts)
        ],
        batch_size=5000,
    )
    ProgrammeTarget.objects.create(year=year, contract_value=Decimal("100000"))
    return {
        "n_matches": Match.objects.count(),
        "n_introductions": len(events),
        "n_contracts": TechnologyContract.objects.count(),
    }


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(runs), 2)


def baseline_scan():
    """One grouped aggregate per table the reports read: the floor for any report over them."""
    from django.db.models import Count, Sum

    from matchmaking.models import Match, MatchEvent
    from outcomes.models import TechnologyContract

    list(Match.objects.values("stage").annotate(n=Count("id")))
    list(MatchEvent.objects.values("to_stage").annotate(n=Count("id")))
    list(TechnologyContract.objects.values("field_id").annotate(n=Count("id"), v=Sum("amount")))


def naive_python_report(year: int):
    """What a report written without grouped queries does: load the rows, add up in Python."""
    from collections import Counter, defaultdict

    from matchmaking.models import MatchEvent
    from outcomes.models import TechnologyContract

    value = defaultdict(float)
    for contract in TechnologyContract.objects.filter(signed_on__year=year).select_related("field"):
        value[contract.field.code if contract.field_id else None] += float(contract.amount)
    Counter(e.match.achievement_id for e in MatchEvent.objects.filter(to_stage="introduced").select_related("match"))
    return value


def profile(year: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from outcomes import reports

    with CaptureQueriesContext(connection) as context:
        reports.kpi(year)
        [reports.breakdown(year, d) for d in reports.DIMENSIONS]
        reports.broker_performance(year)
    for query in sorted(context.captured_queries, key=lambda q: -float(q["time"]))[:6]:
        print(query["time"], query["sql"][:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matches", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--profile", action="store_true", help="print the slowest report queries")
    args = parser.parse_args()
    with scratch_database() as connection:
        from outcomes import reports
        from outcomes.exporting import annual_report_xlsx

        year = date.today().year
        started = time.perf_counter()
        counts = populate(args.matches, args.contracts, year)
        fill_s = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum keeps them in production
            cursor.execute("ANALYZE")
        baseline = timed(baseline_scan, args.repeat)
        figures = {**counts, "database": connection.vendor, "fill_s": fill_s, "baseline_scan_ms": baseline}
        figures["naive_python_kpi_ms"] = timed(lambda: naive_python_report(year), args.repeat)
        timings = {
            "kpi_ms": lambda: reports.kpi(year),
            "breakdown_all_ms": lambda: [reports.breakdown(year, d) for d in reports.DIMENSIONS],
            "brokers_ms": lambda: reports.broker_performance(year),
            "agencies_ms": lambda: reports.agency_performance(year),
            "challenges_ms": lambda: reports.challenge_funnel(year),
            "annual_xlsx_ms": lambda: annual_report_xlsx(year),
        }
        for key, fn in timings.items():
            figures[key] = timed(fn, args.repeat)
            figures[key.replace("_ms", "_ratio")] = round(figures[key] / baseline, 2)
        if args.profile:
            profile(year)
        print_table(
            f"KPI reports over {counts['n_matches']:,} matches and {counts['n_contracts']:,} contracts", figures
        )
        write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
