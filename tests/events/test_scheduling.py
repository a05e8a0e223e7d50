from collections import Counter

import pytest

from events.instances import random_event, without
from events.scheduling import Candidate, Person, Problem, ScheduleInputError, greedy, solve


def assert_feasible(problem, schedule):
    seen_pairs, person_slot, per_slot, load = set(), set(), Counter(), Counter()
    for m in schedule.placements:
        pair = (m.holder, m.enterprise)
        assert pair not in seen_pairs  # no pair twice
        seen_pairs.add(pair)
        for person in pair:
            assert m.slot in problem.people[person].available
            assert (person, m.slot) not in person_slot  # nobody in two meetings at once
            person_slot.add((person, m.slot))
            load[person] += 1
        per_slot[m.slot] += 1
        assert m.table in range(1, problem.tables + 1)
    assert all(count <= problem.tables for count in per_slot.values())
    assert all(load[p] <= problem.people[p].max_meetings for p in load)
    tables = Counter((m.slot, m.table) for m in schedule.placements)
    assert max(tables.values(), default=0) <= 1  # one meeting per table and slot


def small():
    people = {
        "h1": Person("h1", "holder", 2, frozenset({0, 1})),
        "h2": Person("h2", "holder", 1, frozenset({0, 1})),
        "e1": Person("e1", "enterprise", 2, frozenset({0, 1})),
        "e2": Person("e2", "enterprise", 1, frozenset({1})),
    }
    candidates = [
        Candidate("h1", "e1", 3.0),
        Candidate("h1", "e2", 2.0),
        Candidate("h2", "e1", 2.5),
        Candidate("h2", "e2", 0.5),
    ]
    return Problem(slots=2, tables=2, people=people, candidates=candidates)


def test_small_event_is_solved_to_proven_optimum():
    problem = small()
    schedule = solve(problem, time_limit=5)
    assert_feasible(problem, schedule)
    assert schedule.optimal and schedule.gap == 0
    assert schedule.objective == 7.5  # h1-e1, h1-e2 and h2-e1
    assert {(m.holder, m.enterprise) for m in schedule.placements} == {("h1", "e1"), ("h1", "e2"), ("h2", "e1")}


def test_availability_and_tables_are_respected_on_a_large_event():
    problem = random_event(seed=1, participants=120, pairs=600, slots=10, tables=12)
    schedule = solve(problem, time_limit=5)
    assert_feasible(problem, schedule)
    assert schedule.objective <= schedule.bound + 1e-6
    assert schedule.gap < 0.05
    assert schedule.objective >= greedy(problem).objective


def test_rescheduling_after_cancellations_keeps_meetings_in_place():
    problem = random_event(seed=2, participants=100, pairs=500, slots=10, tables=10)
    first = solve(problem, time_limit=5)
    cancelled = {p for p in list(problem.people)[::10]}
    second_problem = without(problem, cancelled, first)
    second = solve(second_problem, time_limit=5)
    assert_feasible(second_problem, second)
    kept = sum(
        1 for m in second.placements if second_problem.existing.get((m.holder, m.enterprise)) == (m.slot, m.table)
    )
    assert kept >= 0.8 * len(second_problem.existing)
    assert second.moved <= len(second_problem.existing) - kept
    remaining_value = sum(
        c.value for c in second_problem.candidates if (c.holder, c.enterprise) in second_problem.existing
    )
    assert second.objective >= remaining_value  # freed slots were filled, nothing lost


@pytest.mark.parametrize(
    "change, message",
    [
        ({"slots": 0}, "no meeting slots"),
        ({"tables": 0}, "at least 1"),
        ({"people": {"h1": Person("h1", "holder", 1, frozenset({5}))}}, "outside the event"),
        ({"candidates": [Candidate("h1", "e1", 1.0), Candidate("h1", "e1", 2.0)]}, "listed twice"),
        ({"candidates": [Candidate("e1", "h1", 1.0)]}, "holder and an enterprise"),
        ({"candidates": [Candidate("h1", "ghost", 1.0)]}, "not registered"),
    ],
)
def test_bad_input_gets_a_clear_error(change, message):
    problem = small()
    for name, value in change.items():
        if name == "people":
            problem.people.update(value)
        else:
            setattr(problem, name, value)
    with pytest.raises(ScheduleInputError, match=message):
        solve(problem, time_limit=1)


def _optimum(problem):
    """The exact optimum of a tiny event, by scipy's MIP over the full time-indexed model."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    from events import slot_model
    from events.scheduling import _usable

    model = slot_model.build(problem, _usable(problem), 0.0)
    result = milp(
        -model.weight,
        integrality=np.ones(len(model.weight)),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(model.matrix, -np.inf, model.capacity),
    )
    return -result.fun, model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_bound_is_proven_and_the_schedule_is_near_the_true_optimum(seed):
    problem = random_event(seed=seed, participants=40, pairs=160, slots=6, tables=5, break_slot=3)
    optimum, model = _optimum(problem)
    schedule = solve(problem, time_limit=5)
    assert_feasible(problem, schedule)
    assert schedule.objective <= optimum + 1e-6 <= schedule.bound + 2e-6
    assert schedule.objective >= 0.99 * optimum
    assert schedule.bound_method in {"flow over meeting limits (slots ignored)", "LP relaxation over slots"}


def test_any_non_negative_prices_give_a_valid_bound():
    import numpy as np

    from events import slot_model

    problem = random_event(seed=3, participants=30, pairs=100, slots=5, tables=4, break_slot=None)
    optimum, model = _optimum(problem)
    rng = np.random.default_rng(0)
    for _ in range(20):
        prices = rng.exponential(rng.uniform(0.01, 2.0), size=len(model.capacity))
        assert slot_model.dual_bound(model, prices) >= optimum - 1e-9
    assert slot_model.dual_bound(model, np.zeros(len(model.capacity))) == pytest.approx(model.weight.sum())


@pytest.mark.parametrize("time_limit", [0.0, 0.05, 0.5])
def test_never_worse_than_greedy_whatever_the_time_limit(time_limit):
    problem = random_event(seed=4, participants=200, pairs=1200, slots=12, tables=20)
    schedule = solve(problem, time_limit=time_limit)
    assert_feasible(problem, schedule)
    assert schedule.objective >= greedy(problem).objective - 1e-9
    assert schedule.objective <= schedule.bound + 1e-6


def test_the_benchmark_event_is_scheduled_close_to_its_bound():
    problem = random_event(seed=0)
    schedule = solve(problem, time_limit=5)
    assert_feasible(problem, schedule)
    assert schedule.bound_method == "LP relaxation over slots"  # tighter than the flow's
    assert schedule.gap < 0.01
    assert schedule.objective > 1.03 * greedy(problem).objective


def test_nobody_available_together_is_an_empty_schedule():
    people = {
        "h1": Person("h1", "holder", 2, frozenset({0})),
        "e1": Person("e1", "enterprise", 2, frozenset({1})),
    }
    schedule = solve(Problem(2, 1, people, [Candidate("h1", "e1", 1.0)]), time_limit=1)
    assert schedule.placements == [] and schedule.objective == 0 and schedule.optimal


def test_the_flow_bound_stays_a_bound_when_values_differ_below_its_cost_scale():
    """Values of 1.0000 and 1.0004 round alike at the flow's cost scale; the bound must still be at
    least the schedule's value (it was 1.0 against 1.0004)."""
    from events.scheduling import b_matching

    people = {
        "h": Person("h", "holder", 1, frozenset({0})),
        "e1": Person("e1", "enterprise", 1, frozenset({0})),
        "e2": Person("e2", "enterprise", 1, frozenset({0})),
    }
    candidates = [Candidate("h", "e1", 1.0), Candidate("h", "e2", 1.0004)]
    problem = Problem(1, 2, people, candidates)
    _chosen, flow_bound = b_matching(problem, candidates)
    assert flow_bound >= 1.0004
    schedule = solve(problem, time_limit=1)
    assert schedule.objective == 1.0004 and schedule.bound >= schedule.objective
