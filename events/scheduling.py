"""The 1:1 meeting scheduler.

Who meets whom is a bipartite b-matching (achievement holders on one side, enterprises on
the other; each person has a maximum number of meetings): solved exactly as a min-cost flow,
whose optimum is integral and is an upper bound on any schedule's value, since a schedule
only adds the time-slot constraints. Placing the chosen meetings into (slot, table) is then
an edge colouring with at most `tables` meetings per slot and each meeting in a slot both
people are available for; CP-SAT solves that small model. When every chosen meeting finds a
slot, the schedule meets the bound and is proven optimal; otherwise CP-SAT improves over all
candidate pairs, warm-started from that placement, and the gap to the bound is reported.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field

SCALE = 1000  # values are floats; the solvers work in integers


class ScheduleInputError(ValueError):
    """The scheduling request itself is wrong; the message says what to fix."""


@dataclass(frozen=True)
class Person:
    id: object
    side: str  # "holder" or "enterprise"
    max_meetings: int
    available: frozenset  # slot indices


@dataclass(frozen=True)
class Candidate:
    holder: object
    enterprise: object
    value: float


@dataclass
class Problem:
    slots: int
    tables: int
    people: dict
    candidates: list
    existing: dict = field(default_factory=dict)  # (holder, enterprise) -> (slot, table)
    move_penalty: float = 0.5  # value a kept meeting is worth over a moved one


@dataclass(frozen=True)
class Placement:
    holder: object
    enterprise: object
    slot: int
    table: int
    value: float


@dataclass
class Schedule:
    placements: list
    objective: float
    bound: float
    optimal: bool
    moved: int = 0
    seconds: float = 0.0
    method: str = ""

    @property
    def gap(self) -> float:
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


def validate(problem: Problem) -> None:
    if problem.slots <= 0:
        raise ScheduleInputError("The event has no meeting slots.")
    if problem.tables <= 0:
        raise ScheduleInputError("The number of tables must be at least 1.")
    for person in problem.people.values():
        if person.side not in ("holder", "enterprise"):
            raise ScheduleInputError(f"Participant {person.id} has an unknown side {person.side!r}.")
        if person.max_meetings < 0:
            raise ScheduleInputError(f"Participant {person.id} has a negative meeting limit.")
        outside = [s for s in person.available if not 0 <= s < problem.slots]
        if outside:
            raise ScheduleInputError(f"Participant {person.id} is available in slot {outside[0]}, outside the event.")
    seen = set()
    for candidate in problem.candidates:
        pair = (candidate.holder, candidate.enterprise)
        if pair in seen:
            raise ScheduleInputError(f"The pair {pair} is listed twice.")
        seen.add(pair)
        holder, enterprise = problem.people.get(candidate.holder), problem.people.get(candidate.enterprise)
        if holder is None or enterprise is None:
            raise ScheduleInputError(f"The pair {pair} names someone who is not registered.")
        if holder.side != "holder" or enterprise.side != "enterprise":
            raise ScheduleInputError(f"The pair {pair} must be an achievement holder and an enterprise.")
        if candidate.value < 0:
            raise ScheduleInputError(f"The pair {pair} has a negative value.")


def _usable(problem: Problem) -> list:
    """Candidates that could meet at all: a common free slot and room in both limits."""
    result = []
    for c in problem.candidates:
        a, b = problem.people[c.holder], problem.people[c.enterprise]
        if a.max_meetings and b.max_meetings and a.available & b.available and c.value > 0:
            result.append(c)
    return result


def slot_capacity(problem: Problem, candidates: list) -> int:
    """How many meetings the event can hold at most: per slot, the tables, but no more than
    the holders or the enterprises available then."""
    holders = {c.holder for c in candidates}
    enterprises = {c.enterprise for c in candidates}
    total = 0
    for slot in range(problem.slots):
        free_holders = sum(1 for h in holders if slot in problem.people[h].available)
        free_enterprises = sum(1 for e in enterprises if slot in problem.people[e].available)
        total += min(problem.tables, free_holders, free_enterprises)
    return total


def b_matching(problem: Problem, candidates: list) -> tuple[list, float]:
    """The most valuable set of meetings that respects every person's limit and the total
    number of table-slots, ignoring which slot each goes in (a min-cost flow)."""
    from ortools.graph.python import min_cost_flow

    flow = min_cost_flow.SimpleMinCostFlow()
    holders = sorted({c.holder for c in candidates}, key=str)
    enterprises = sorted({c.enterprise for c in candidates}, key=str)
    node = {("h", h): i + 2 for i, h in enumerate(holders)}
    node.update({("e", e): i + 2 + len(holders) for i, e in enumerate(enterprises)})
    source, sink = 0, 1
    capacity = slot_capacity(problem, candidates)
    for h in holders:
        person = problem.people[h]
        flow.add_arc_with_capacity_and_unit_cost(
            source, node[("h", h)], min(person.max_meetings, len(person.available)), 0
        )
    for e in enterprises:
        person = problem.people[e]
        flow.add_arc_with_capacity_and_unit_cost(
            node[("e", e)], sink, min(person.max_meetings, len(person.available)), 0
        )
    arcs = []
    for c in candidates:
        arc = flow.add_arc_with_capacity_and_unit_cost(
            node[("h", c.holder)], node[("e", c.enterprise)], 1, -round(c.value * SCALE)
        )
        arcs.append((arc, c))
    flow.add_arc_with_capacity_and_unit_cost(source, sink, capacity, 0)  # meetings not held
    flow.set_node_supply(source, capacity)
    flow.set_node_supply(sink, -capacity)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the meeting selection could not be solved")
    chosen = [c for arc, c in arcs if flow.flow(arc) > 0]
    return chosen, sum(c.value for c in chosen)


def _place(
    problem: Problem, candidates: list, seconds: float, hint: dict | None = None, objective_floor: int | None = None
):
    """CP-SAT: put candidates into slots (each at most once), at most one meeting per person
    per slot and `max_meetings` in all, at most `tables` per slot, keeping existing meetings'
    slots unless moving pays."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    by_person_slot = defaultdict(list)
    by_person = defaultdict(list)
    by_slot = defaultdict(list)
    terms = []
    variables = {}
    keep_bonus = round(problem.move_penalty * SCALE)
    for c in candidates:
        common = problem.people[c.holder].available & problem.people[c.enterprise].available
        previous = problem.existing.get((c.holder, c.enterprise))
        options = []
        for slot in sorted(common):
            var = model.new_bool_var("")
            variables[(c.holder, c.enterprise, slot)] = var
            options.append(var)
            by_person_slot[(c.holder, slot)].append(var)
            by_person_slot[(c.enterprise, slot)].append(var)
            by_person[c.holder].append(var)
            by_person[c.enterprise].append(var)
            by_slot[slot].append(var)
            bonus = keep_bonus if previous and previous[0] == slot else 0
            terms.append((round(c.value * SCALE) + bonus, var))
            if hint is not None:
                model.add_hint(var, hint.get((c.holder, c.enterprise)) == slot)
        model.add_at_most_one(options)
    for group in by_person_slot.values():
        model.add_at_most_one(group)
    for group in by_slot.values():
        if len(group) > problem.tables:
            model.add(sum(group) <= problem.tables)
    for person_id, group in by_person.items():
        limit = problem.people[person_id].max_meetings
        if len(group) > limit:
            model.add(sum(group) <= limit)
    objective = sum(weight * var for weight, var in terms)
    if objective_floor is not None:
        model.add(objective >= objective_floor)
    model.maximize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, float("inf")
    chosen = {(h, e): s for (h, e, s), var in variables.items() if solver.value(var)}
    # The solver's proven bound; with keep bonuses it bounds value plus bonuses, still an upper bound.
    return chosen, solver.best_objective_bound / SCALE


def _with_tables(problem: Problem, slot_of: dict, values: dict) -> list:
    """Give each meeting a table: its old table when free, else the lowest free one."""
    by_slot = defaultdict(list)
    for pair, slot in slot_of.items():
        by_slot[slot].append(pair)
    placements = []
    for slot, pairs in sorted(by_slot.items()):
        taken = set()
        keep = {}
        for pair in pairs:
            previous = problem.existing.get(pair)
            if previous and previous[0] == slot and previous[1] not in taken:
                keep[pair] = previous[1]
                taken.add(previous[1])
        free = (t for t in range(1, problem.tables + 1) if t not in taken)
        for pair in sorted(pairs, key=str):
            table = keep.get(pair) or next(free)
            placements.append(Placement(pair[0], pair[1], slot, table, values[pair]))
    return placements


def _objective(problem: Problem, slot_of: dict, values: dict) -> tuple[float, int]:
    moved = sum(1 for pair, (slot, _) in problem.existing.items() if pair in slot_of and slot_of[pair] != slot)
    return sum(values[p] for p in slot_of), moved


def solve(problem: Problem, *, time_limit: float = 9.0) -> Schedule:
    validate(problem)
    started = time.perf_counter()
    candidates = _usable(problem)
    values = {(c.holder, c.enterprise): c.value for c in candidates}
    chosen, bound = b_matching(problem, candidates)
    if not chosen:
        return Schedule([], 0.0, 0.0, True, 0, time.perf_counter() - started, "empty")
    budget = time_limit - (time.perf_counter() - started)
    if problem.existing:
        # Re-scheduling: the old schedule without the cancelled meetings is the starting point.
        slot_of = {pair: slot for pair, (slot, _) in problem.existing.items() if pair in values}
    else:
        # Colouring the chosen meetings is quick; keep most of the time for the search below.
        slot_of, _ = _place(problem, chosen, min(1.0, 0.15 * budget))
        slot_of = slot_of or {}
    objective, moved = _objective(problem, slot_of, values)
    method = "b-matching + colouring"
    if objective < bound - 1e-9 or moved:
        # Some chosen meetings found no common slot, or old meetings moved: search over every
        # candidate from this placement for the rest of the time.
        budget = time_limit - (time.perf_counter() - started)
        better, solver_bound = _place(problem, candidates, budget, hint=slot_of)
        bound = min(bound, solver_bound)
        if better is not None:
            value, better_moved = _objective(problem, better, values)
            score = value - problem.move_penalty * better_moved
            if score > objective - problem.move_penalty * moved + 1e-9:
                slot_of, objective, moved = better, value, better_moved
                method = "b-matching + colouring, improved over all pairs"
    placements = _with_tables(problem, slot_of, values)
    optimal = objective >= bound - 1e-6
    return Schedule(
        placements, round(objective, 4), round(bound, 4), optimal, moved, time.perf_counter() - started, method
    )


def greedy(problem: Problem) -> Schedule:
    """Baseline: best pairs first, each into the earliest slot that fits."""
    validate(problem)
    started = time.perf_counter()
    busy = defaultdict(set)
    load = defaultdict(int)
    per_slot = defaultdict(int)
    slot_of, values = {}, {}
    for c in sorted(_usable(problem), key=lambda c: -c.value):
        a, b = problem.people[c.holder], problem.people[c.enterprise]
        if load[a.id] >= a.max_meetings or load[b.id] >= b.max_meetings:
            continue
        for slot in sorted(a.available & b.available):
            if slot not in busy[a.id] and slot not in busy[b.id] and per_slot[slot] < problem.tables:
                busy[a.id].add(slot)
                busy[b.id].add(slot)
                load[a.id] += 1
                load[b.id] += 1
                per_slot[slot] += 1
                slot_of[(c.holder, c.enterprise)] = slot
                values[(c.holder, c.enterprise)] = c.value
                break
    objective = sum(values.values())
    return Schedule(
        _with_tables(problem, slot_of, values),
        round(objective, 4),
        float("nan"),
        False,
        0,
        time.perf_counter() - started,
        "greedy",
    )
