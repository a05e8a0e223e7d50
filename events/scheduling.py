"""The 1:1 meeting scheduler.

Who meets whom, and when: achievement holders on one side, enterprises on the other, each person
with a meeting limit and the slots they are available in, each slot with a number of tables.
Three proven upper bounds on any schedule's value are compared and the tightest is reported: the
min-cost flow b-matching (which ignores slots), the LP relaxation over slots (`slot_model`), and,
on events small enough, HiGHS' MIP bound. The schedule is the best of the greedy one, the LP's
rounding and (when re-scheduling) the previous schedule, each improved by local moves, and on
small events the exact MIP's: it is never worse than `greedy`.
"""

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from . import slot_model

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
    bound_method: str = ""

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
    number of table-slots, ignoring which slot each goes in (a min-cost flow), and an upper bound
    on any schedule's value: the flow's integer costs round every value up, so its optimum is
    never below the true one."""
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
            node[("h", c.holder)], node[("e", c.enterprise)], 1, -math.ceil(c.value * SCALE)
        )
        arcs.append((arc, c))
    flow.add_arc_with_capacity_and_unit_cost(source, sink, capacity, 0)  # meetings not held
    flow.set_node_supply(source, capacity)
    flow.set_node_supply(sink, -capacity)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the meeting selection could not be solved")
    chosen = [c for arc, c in arcs if flow.flow(arc) > 0]
    return chosen, -flow.optimal_cost() / SCALE


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
            if previous and previous[0] == slot and previous[1] and previous[1] not in taken:
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


def _still_possible(problem: Problem) -> Problem:
    """The problem without kept meetings that no longer fit: a slot the event lost or one of the
    two is no longer available in, or a table the room no longer has (their pair may still be
    scheduled elsewhere)."""
    existing = {}
    for pair, (slot, table) in problem.existing.items():
        holder, enterprise = problem.people.get(pair[0]), problem.people.get(pair[1])
        if holder is None or enterprise is None or not 0 <= slot < problem.slots:
            continue
        if slot in holder.available and slot in enterprise.available:
            existing[pair] = (slot, table if 1 <= table <= problem.tables else 0)
    if len(existing) == len(problem.existing) and all(v == problem.existing[k] for k, v in existing.items()):
        return problem
    return replace(problem, existing=existing)


def _rounded_up(bound: float) -> float:
    """A bound shown to 4 decimals, rounded so that it stays a bound."""
    return math.ceil(bound * 10_000 - 1e-9) / 10_000


def solve(problem: Problem, *, time_limit: float = 9.0) -> Schedule:
    """The best schedule found within about `time_limit` seconds, never worse than `greedy`'s,
    with a proven upper bound on any schedule's value and which method proved it."""
    validate(problem)
    problem = _still_possible(problem)
    started = time.perf_counter()
    deadline = started + time_limit
    candidates = _usable(problem)
    values = {(c.holder, c.enterprise): c.value for c in candidates}
    chosen, flow_bound = b_matching(problem, candidates)
    if not chosen:
        return Schedule([], 0.0, 0.0, True, 0, time.perf_counter() - started, "empty", "nothing to schedule")
    model = slot_model.build(problem, candidates, problem.move_penalty)
    # the LP gives both the bound and the rounding: it gets half the time (it usually stops earlier)
    x, lp_bound = slot_model.lp_relaxation(model, 0.5 * (deadline - time.perf_counter()))
    bounds = {"flow over meeting limits (slots ignored)": flow_bound, "LP relaxation over slots": lp_bound}

    # Starting points; all but greedy's improved by local moves in half the time left; the best by
    # weight (value, plus the keep bonus of a re-scheduled event's unmoved meetings) is polished.
    starts = {"greedy": _placer_from(problem, model, _greedy_slots(problem, candidates))}
    if problem.existing:
        kept = {pair: slot for pair, (slot, _) in problem.existing.items() if pair in values}
        starts["previous schedule"] = _placer_from(problem, model, kept)
    starts["LP rounding"] = slot_model.rounded(problem, model, x)
    improving = [name for name in starts if name != "greedy"]
    for k, name in enumerate(improving):
        share = (deadline - time.perf_counter()) / 2 / (len(improving) - k)
        slot_model.improve(starts[name], time.perf_counter() + share)
    method, best = max(starts.items(), key=lambda item: item[1].weight())
    method += " + local moves" if method != "greedy" else ""
    if deadline - time.perf_counter() > 0.05:
        polished = slot_model.polished(model, x, best.slot_of, deadline - time.perf_counter())
        if polished is not None:
            candidate = slot_model.Placer(problem, model)
            for i, slot in polished.items():
                if candidate.fits(i, slot):
                    candidate.add(i, slot)
            if candidate.weight() > best.weight() + 1e-9:
                method, best = method + " + MIP polish (HiGHS)", candidate
    slot_of = {_pair(model, i): slot for i, slot in best.slot_of.items()}
    objective, moved = _objective(problem, slot_of, values)
    bound_method, bound = min(bounds.items(), key=lambda item: item[1])
    placements = _with_tables(problem, slot_of, values)
    return Schedule(
        placements,
        round(objective, 4),
        _rounded_up(bound),
        objective >= bound - 1e-6,
        moved,
        time.perf_counter() - started,
        method,
        bound_method,
    )


def _pair(model, i: int) -> tuple:
    c = model.candidates[i]
    return c.holder, c.enterprise


def _placer_from(problem: Problem, model, slot_of: dict) -> "slot_model.Placer":
    index = {_pair(model, i): i for i in range(len(model.candidates))}
    placer = slot_model.Placer(problem, model)
    for pair, slot in slot_of.items():
        i = index.get(pair)
        if i is not None and placer.fits(i, slot):
            placer.add(i, slot)
    return placer


def _greedy_slots(problem: Problem, candidates: list) -> dict:
    """Best pairs first, each into the earliest slot that fits: {pair: slot}."""
    busy = defaultdict(set)
    load = defaultdict(int)
    per_slot = defaultdict(int)
    slot_of = {}
    for c in sorted(candidates, key=lambda c: -c.value):
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
                break
    return slot_of


def greedy(problem: Problem) -> Schedule:
    """Baseline: best pairs first, each into the earliest slot that fits."""
    validate(problem)
    started = time.perf_counter()
    values = {(c.holder, c.enterprise): c.value for c in problem.candidates}
    slot_of = _greedy_slots(problem, _usable(problem))
    objective = sum(values[pair] for pair in slot_of)
    return Schedule(
        _with_tables(problem, slot_of, values),
        round(objective, 4),
        float("nan"),
        False,
        0,
        time.perf_counter() - started,
        "greedy",
    )
