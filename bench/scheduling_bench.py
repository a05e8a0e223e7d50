"""Planning a 420-event year over 6 rooms; 1:1 meeting scheduling (`events.scheduling.solve`, what
`schedule_event` runs) of a 300-participant event (2,000 candidate pairs, 16 slots, 40 tables) for
seeds 0-4 against a greedy baseline in the same run, then re-scheduling after 10% cancellations;
a large event (1,000 participants, 10,000 pairs, 24 slots, 120 tables), seeds 0-4; and the whole
production path once: the seed-0 event stored as registrations and requests in a scratch database,
scheduled by `events.services.schedule_event` at its default time limit (reading the event,
solving, writing the meetings), as the organiser's button and the Celery task run it.

    python bench/scheduling_bench.py [--seed 0] [--time-limit 1.5] [--large-time-limit 25]
                                     [--seeds 5] [--json FILE]
"""

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _db import print_table, scratch_database, write_json  # noqa: E402

from events.instances import random_event, without  # noqa: E402
from events.planning import EventKind, PlanRequest, Room, plan  # noqa: E402
from events.scheduling import greedy, solve  # noqa: E402

THEMES = [
    "电子信息",
    "人工智能",
    "新能源",
    "生物医药",
    "航空航天",
    "轨道交通",
    "新材料",
    "先进制造",
    "现代农业",
    "节能环保",
    "新能源汽车",
    "数字经济",
    "医疗器械",
    "集成电路",
]


def year_request() -> PlanRequest:
    """420 events: 14 themes x 2 organisers x 15, some needing the two large halls."""
    rooms = [Room(f"small-{i}", 60) for i in range(4)] + [Room(f"hall-{i}", 200) for i in range(2)]
    kinds = [
        EventKind(theme, f"organiser-{(i * 2 + o) % 8}", 150 if o == 0 and i % 3 == 0 else 50, 15)
        for i, theme in enumerate(THEMES)
        for o in range(2)
    ]
    holidays = frozenset({date(2027, 1, 1), date(2027, 5, 1), date(2027, 10, 1), date(2027, 10, 4)})
    return PlanRequest(date(2027, 1, 1), date(2027, 12, 31), rooms, kinds, holidays=holidays, theme_spacing=5)


def _run(problem, seed: int, time_limit: float) -> dict:
    started = time.perf_counter()
    schedule = solve(problem, time_limit=time_limit)
    seconds = time.perf_counter() - started
    return {
        "seed": seed,
        "objective": schedule.objective,
        "bound": schedule.bound,
        "gap": round(schedule.gap, 4),
        "seconds": round(seconds, 2),
        "bound_method": schedule.bound_method,
        "greedy_objective": greedy(problem).objective,
    }


def _service_run(problem) -> dict:
    """`services.schedule_event` on the problem stored as an event: availability as windows,
    pair values as requests (mutual, accepted, recommended by a broker)."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    with scratch_database():
        from accounts.models import Agency, Role, User
        from achievements.models import Institution
        from enterprises.models import Enterprise
        from events import services
        from events.models import MatchmakingEvent, MeetingRequest, Registration

        minutes = 20
        start = timezone.make_aware(datetime(2027, 3, 3, 9))
        clock = [start + timedelta(minutes=minutes * k) for k in range(problem.slots + 1)]
        organiser = User.objects.create(username="organiser", role=Role.ORGANISER)
        broker = User.objects.create(username="broker", role=Role.BROKER, agency=Agency.objects.create(name="bench"))
        event = MatchmakingEvent.objects.create(
            title="bench",
            starts_at=clock[0],
            ends_at=clock[-1],
            meeting_minutes=minutes,
            breaks=[[f"{clock[8]:%H:%M}", f"{clock[9]:%H:%M}"]],  # the generator's break slot
            tables=problem.tables,
            capacity=len(problem.people) + 10,
            organiser=organiser,
            status="open",
        )
        institutions = Institution.objects.bulk_create(
            Institution(name=f"院所{pid}") for pid, p in problem.people.items() if p.side == "holder"
        )
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(name=f"企业{pid}", credit_code=f"B{pid:017d}")
            for pid, p in problem.people.items()
            if p.side != "holder"
        )
        organisations = iter(institutions), iter(enterprises)
        users = User.objects.bulk_create(
            User(username=f"p{pid}", role=Role.INSTITUTION, institution=next(organisations[0]))
            if p.side == "holder"
            else User(username=f"p{pid}", role=Role.ENTERPRISE, enterprise=next(organisations[1]))
            for pid, p in problem.people.items()
        )
        registrations = {}
        for user, (pid, person) in zip(users, problem.people.items(), strict=True):
            first, last = min(person.available), max(person.available) + 1
            registrations[pid] = Registration(
                event=event,
                user=user,
                side=person.side,
                max_meetings=person.max_meetings,
                availability=[
                    [f"{timezone.localtime(clock[first]):%H:%M}", f"{timezone.localtime(clock[last]):%H:%M}"]
                ],
            )
        Registration.objects.bulk_create(registrations.values())
        requests = []
        for c in problem.candidates:
            holder, enterprise = registrations[c.holder], registrations[c.enterprise]
            if c.value > 1.2:  # the most valuable pairs as mutual requests, then accepted, then recommended
                requests += [
                    MeetingRequest(event=event, sender=holder, receiver=enterprise, status="accepted"),
                    MeetingRequest(event=event, sender=enterprise, receiver=holder, status="accepted"),
                ]
            elif c.value > 0.8:
                requests.append(MeetingRequest(event=event, sender=holder, receiver=enterprise, status="accepted"))
            else:
                requests.append(MeetingRequest(event=event, sender=holder, receiver=enterprise, recommended_by=broker))
        MeetingRequest.objects.bulk_create(requests)
        started = time.perf_counter()
        summary = services.schedule_event(event=event)
        seconds = time.perf_counter() - started
        return {
            "service_seconds": round(seconds, 2),
            "service_solver_seconds": summary.seconds,
            "service_meetings": summary.meetings,
            "service_gap": summary.gap,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=1.5)
    parser.add_argument("--large-time-limit", type=float, default=25.0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    started = time.perf_counter()
    year = plan(year_request())
    plan_seconds = time.perf_counter() - started

    runs = [_run(random_event(seed=seed), seed, args.time_limit) for seed in range(args.seeds)]
    large = [
        _run(random_event(seed=seed, participants=1000, pairs=10000, slots=24, tables=120), seed, args.large_time_limit)
        for seed in range(args.seeds)
    ]
    for title, rows in (("300 participants", runs), ("1,000 participants", large)):
        print(f"\n{title}: {'seed':>4}{'objective':>12}{'bound':>12}{'gap':>8}{'seconds':>9}{'greedy':>11}")
        for row in rows:
            print(
                f"{'':<{len(title) + 2}}{row['seed']:>4}{row['objective']:>12.2f}{row['bound']:>12.2f}"
                f"{row['gap']:>8.4f}{row['seconds']:>9.2f}{row['greedy_objective']:>11.2f}"
            )
    print()

    problem = random_event(seed=args.seed)
    started = time.perf_counter()
    schedule = solve(problem, time_limit=args.time_limit)
    seconds = time.perf_counter() - started
    baseline = greedy(problem)

    rng = random.Random(args.seed)
    cancelled = set(rng.sample(sorted(problem.people), len(problem.people) // 10))
    after = without(problem, cancelled, schedule)
    kept_value = sum(m.value for m in schedule.placements if (m.holder, m.enterprise) in after.existing)
    started = time.perf_counter()
    rescheduled = solve(after, time_limit=args.time_limit)
    reschedule_seconds = time.perf_counter() - started

    production = _service_run(random_event(seed=args.seed))
    figures = {
        **production,
        "plan_events": year.placed,
        "plan_wanted": year.wanted,
        "plan_rooms": 6,
        "plan_seconds": round(plan_seconds, 2),
        "event_participants": len(problem.people),
        "candidate_pairs": len(problem.candidates),
        "slots_x_tables": f"{problem.slots}x{problem.tables}",
        "schedule_seconds": round(seconds, 2),
        "objective": schedule.objective,
        "bound": schedule.bound,
        "gap": round(schedule.gap, 4),
        "optimal": schedule.optimal,
        "meetings": len(schedule.placements),
        "greedy_objective": baseline.objective,
        "greedy_meetings": len(baseline.placements),
        "vs_greedy": round(schedule.objective / baseline.objective, 3),
        "cancelled_participants": len(cancelled),
        "meetings_kept_before": len(after.existing),
        "moved_after_cancellations": rescheduled.moved,
        "value_after_cancellations": rescheduled.objective,
        "value_regained": round(rescheduled.objective - kept_value, 3),
        "reschedule_seconds": round(reschedule_seconds, 2),
        "bound_method": schedule.bound_method,
        "method": schedule.method,
        "seeds": [{k: row[k] for k in ("seed", "objective", "bound", "gap", "seconds")} for row in runs],
        "median_gap": statistics.median(row["gap"] for row in runs),
        "median_seconds": statistics.median(row["seconds"] for row in runs),
        "worst_gap": max(row["gap"] for row in runs),
        "median_vs_greedy": round(statistics.median(row["objective"] / row["greedy_objective"] for row in runs), 3),
        "large_participants": len(random_event(seed=0, participants=1000, pairs=10000, slots=24, tables=120).people),
        "large_candidate_pairs": 10000,
        "large_slots_x_tables": "24x120",
        "large_seeds": [
            {k: row[k] for k in ("seed", "objective", "bound", "gap", "seconds", "bound_method")} for row in large
        ],
        "large_schedule_seconds": statistics.median(row["seconds"] for row in large),
        "large_gap": statistics.median(row["gap"] for row in large),
        "large_worst_gap": max(row["gap"] for row in large),
        "large_greedy_gap": round(statistics.median(1 - row["greedy_objective"] / row["bound"] for row in large), 4),
    }
    print_table(
        "Year planning and 1:1 meeting scheduling", {k: v for k, v in figures.items() if not isinstance(v, list)}
    )
    write_json(args.json_path, figures)


if __name__ == "__main__":
    main()
