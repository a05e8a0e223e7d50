"""Planning a 420-event year over 6 rooms; 1:1 meeting scheduling (`events.scheduling.solve`, what
`schedule_event` runs) of a 300-participant event (2,000 candidate pairs, 16 slots, 40 tables) for
seeds 0-4 against a greedy baseline in the same run, then re-scheduling after 10% cancellations;
and a large event (1,000 participants, 10,000 pairs, 24 slots, 120 tables), seeds 0-4.

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

from _db import print_table, write_json  # noqa: E402

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

    figures = {
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
        "large_participants": 1000,
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
