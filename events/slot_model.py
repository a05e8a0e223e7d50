"""The meeting scheduler's time-indexed model: one 0/1 column per (pair, common slot).

    maximise   sum value(pair) * x[pair, slot]
    subject to each pair meets at most once; each person is in at most one meeting per slot and
               in at most `max_meetings` in all; each slot holds at most `tables` meetings.

Its LP relaxation is solved by PDLP (OR-Tools' first-order LP solver: a large event's LP has a
hundred thousand columns, where a simplex takes half a minute). Any non-negative dual vector gives
a valid upper bound (weak duality with the 0 <= x <= 1 box), so the bound is recomputed from the
returned duals rather than trusted from a solver that stopped early. Schedules come from rounding
the LP solution, improving it by local moves (`improve`) and, with the time left, HiGHS' branch and
cut over the LP's support warm-started from that schedule (`polished`)."""

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

SUPPORT = 0.01  # an LP value above which a column is kept for the MIP polish
# Past this many columns HiGHS spent its whole time at the root without improving the local
# search's schedule (1,000 participants: 25,000 columns, 10 s, nothing gained), so it is skipped.
POLISH_COLUMNS = 15_000


@dataclass
class SlotModel:
    candidates: list  # usable Candidates
    columns: list  # (candidate index, slot)
    matrix: sparse.csr_matrix  # rows: pair, person-slot, person, slot constraints
    capacity: np.ndarray  # each row's right-hand side
    weight: np.ndarray  # each column's objective (value, plus the keep bonus on an existing slot)


def build(problem, candidates: list, keep_bonus: float) -> SlotModel:
    columns, row_of_column, capacity = [], [], []
    rows: dict = {}

    def row(key, limit) -> int:
        index = rows.get(key)
        if index is None:
            index = rows[key] = len(capacity)
            capacity.append(limit)
        return index

    weight = []
    for i, c in enumerate(candidates):
        holder, enterprise = problem.people[c.holder], problem.people[c.enterprise]
        previous = problem.existing.get((c.holder, c.enterprise))
        for slot in sorted(holder.available & enterprise.available):
            columns.append((i, slot))
            weight.append(c.value + (keep_bonus if previous and previous[0] == slot else 0.0))
            row_of_column.append(
                (
                    row(("pair", i), 1),
                    row(("busy", c.holder, slot), 1),
                    row(("busy", c.enterprise, slot), 1),
                    row(("load", c.holder), holder.max_meetings),
                    row(("load", c.enterprise), enterprise.max_meetings),
                    row(("slot", slot), problem.tables),
                )
            )
    entries = np.asarray(row_of_column, dtype=np.int64).reshape(-1, 6)
    column_index = np.repeat(np.arange(len(columns)), 6)
    matrix = sparse.csr_matrix(
        (np.ones(entries.size), (entries.ravel(), column_index)), shape=(len(capacity), len(columns))
    )
    return SlotModel(candidates, columns, matrix, np.asarray(capacity, float), np.asarray(weight, float))


def lp_relaxation(model: SlotModel, seconds: float) -> tuple[np.ndarray, float]:
    """(the LP's approximate solution x, a proven upper bound on any schedule's weight)."""
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    program = pdlp.QuadraticProgram()
    program.objective_vector = -model.weight
    program.constraint_lower_bounds = np.full(len(model.capacity), -np.inf)
    program.constraint_upper_bounds = model.capacity
    program.variable_lower_bounds = np.zeros(len(model.weight))
    program.variable_upper_bounds = np.ones(len(model.weight))
    program.constraint_matrix = model.matrix.tocsc()
    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.termination_criteria.time_sec_limit = max(seconds, 0.1)
    params.termination_criteria.simple_optimality_criteria.eps_optimal_relative = 1e-4
    params.termination_criteria.simple_optimality_criteria.eps_optimal_absolute = 1e-4
    params.num_threads = 2
    result = pdlp.primal_dual_hybrid_gradient(program, params)
    # PDLP's duals of upper-bounded rows of a minimisation are <= 0; ours are prices >= 0
    prices = np.maximum(-np.asarray(result.dual_solution, dtype=float), 0.0)
    return np.clip(np.asarray(result.primal_solution, dtype=float), 0, 1), dual_bound(model, prices)


def dual_bound(model: SlotModel, prices: np.ndarray) -> float:
    """Weak duality: for prices y >= 0 on the rows, b.y + sum of positive reduced weights bounds
    every solution with 0 <= x <= 1."""
    reduced = model.weight - model.matrix.T @ prices
    return float(model.capacity @ prices + np.maximum(reduced, 0.0).sum())


def polished(model: SlotModel, x: np.ndarray, start: dict, seconds: float) -> dict | None:
    """HiGHS' branch and cut over the columns the LP uses (x > SUPPORT) and those of `start`
    ({candidate index: slot}), warm-started from `start`: {candidate index: slot}, at least as good
    as `start`, or None if HiGHS failed. Columns the LP leaves at zero are dropped to keep the
    model small, so its bound is not one of the event's (the LP's is)."""
    import highspy

    index = {column: j for j, column in enumerate(model.columns)}
    kept = np.asarray(sorted(set(np.flatnonzero(x > SUPPORT).tolist()) | {index[c] for c in start.items()}))
    if not len(kept) or len(kept) > POLISH_COLUMNS:
        return None
    matrix = model.matrix[:, kept].tocsc()
    program = highspy.HighsLp()
    program.num_col_, program.num_row_ = len(kept), matrix.shape[0]
    program.col_cost_ = -model.weight[kept]
    program.col_lower_, program.col_upper_ = np.zeros(len(kept)), np.ones(len(kept))
    program.row_lower_, program.row_upper_ = np.full(matrix.shape[0], -highspy.kHighsInf), model.capacity
    program.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    program.a_matrix_.start_, program.a_matrix_.index_, program.a_matrix_.value_ = (
        matrix.indptr,
        matrix.indices,
        matrix.data,
    )
    program.integrality_ = [highspy.HighsVarType.kInteger] * len(kept)
    solver = highspy.Highs()
    for option, value in (("output_flag", False), ("time_limit", max(seconds, 0.05)), ("mip_rel_gap", 1e-3)):
        solver.setOptionValue(option, value)
    solver.setOptionValue("threads", 2)
    solver.passModel(program)
    warm = highspy.HighsSolution()
    warm.col_value = [1.0 if model.columns[j] in start.items() else 0.0 for j in kept]
    warm.value_valid = True
    solver.setSolution(warm)
    solver.run()
    values = np.asarray(solver.getSolution().col_value)
    if len(values) != len(kept):
        return None
    return {model.columns[j][0]: model.columns[j][1] for j in kept[values > 0.5]}


class Placer:
    """A schedule being built column by column, with every constraint checked in O(1)."""

    def __init__(self, problem, model: SlotModel):
        self.problem, self.model = problem, model
        self.busy = defaultdict(dict)  # person -> slot -> candidate index
        self.load = defaultdict(int)
        self.per_slot = defaultdict(int)
        self.slot_of: dict[int, int] = {}
        self.weight_of = {}
        for (i, slot), w in zip(model.columns, model.weight, strict=True):
            self.weight_of[(i, slot)] = w

    def people(self, i: int):
        c = self.model.candidates[i]
        return self.problem.people[c.holder], self.problem.people[c.enterprise]

    def fits(self, i: int, slot: int) -> bool:
        a, b = self.people(i)
        return (
            i not in self.slot_of
            and (i, slot) in self.weight_of  # a slot both are available in (a kept meeting may not be)
            and self.load[a.id] < a.max_meetings
            and self.load[b.id] < b.max_meetings
            and slot not in self.busy[a.id]
            and slot not in self.busy[b.id]
            and self.per_slot[slot] < self.problem.tables
        )

    def add(self, i: int, slot: int) -> None:
        for person in self.people(i):
            self.busy[person.id][slot] = i
            self.load[person.id] += 1
        self.per_slot[slot] += 1
        self.slot_of[i] = slot

    def remove(self, i: int) -> int:
        slot = self.slot_of.pop(i)
        for person in self.people(i):
            del self.busy[person.id][slot]
            self.load[person.id] -= 1
        self.per_slot[slot] -= 1
        return slot

    def weight(self) -> float:
        return sum(self.weight_of[(i, s)] for i, s in self.slot_of.items())


def rounded(problem, model: SlotModel, x: np.ndarray) -> Placer:
    """Columns in the order of their LP value (then weight), each taken if it still fits."""
    placer = Placer(problem, model)
    for j in np.lexsort((-model.weight, -np.round(x, 3))):
        i, slot = model.columns[j]
        if placer.fits(i, slot):
            placer.add(i, slot)
    return placer


def improve(placer: Placer, deadline: float) -> None:
    """Local moves until nothing gains or time is up: insert a pair that is not meeting, after
    moving at most one meeting of each of its two people to another free slot; or replace a
    person's least valuable meeting by a more valuable one in the same slot."""
    model = placer.model
    slots_of = defaultdict(list)
    for i, slot in model.columns:
        slots_of[i].append(slot)
    order = sorted(range(len(model.candidates)), key=lambda i: -model.candidates[i].value)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for i in order:
            if i in placer.slot_of:
                continue
            if time.perf_counter() > deadline:
                return
            if _insert(placer, i, slots_of) or _replace(placer, i, slots_of):
                improved = True


def _relocate(placer: Placer, other: int, slots_of, avoid: int) -> bool:
    """Move meeting `other` to another slot where it fits (not `avoid`)."""
    current = placer.remove(other)
    for slot in slots_of[other]:
        if slot not in (current, avoid) and placer.weight_of[(other, slot)] >= placer.weight_of[(other, current)]:
            if placer.fits(other, slot):
                placer.add(other, slot)
                return True
    placer.add(other, current)
    return False


def _insert(placer: Placer, i: int, slots_of) -> bool:
    a, b = placer.people(i)
    if placer.load[a.id] >= a.max_meetings or placer.load[b.id] >= b.max_meetings:
        return False
    for slot in slots_of[i]:
        if placer.fits(i, slot):
            placer.add(i, slot)
            return True
    for slot in slots_of[i]:
        if placer.per_slot[slot] >= placer.problem.tables:
            continue
        moved = []
        for person in (a, b):
            other = placer.busy[person.id].get(slot)
            if other is not None and other not in moved:
                if not _relocate(placer, other, slots_of, slot):
                    break
                moved.append(other)
        else:
            if placer.fits(i, slot):
                placer.add(i, slot)
                return True
    return False


def _replace(placer: Placer, i: int, slots_of) -> bool:
    """Take meeting i into a slot where it displaces lighter meetings, when the gain is positive."""
    a, b = placer.people(i)
    best = None
    for slot in slots_of[i]:
        displaced = {placer.busy[p.id].get(slot) for p in (a, b)} - {None}
        for person in (a, b):
            if placer.load[person.id] >= person.max_meetings and not any(
                j in displaced for j in placer.busy[person.id].values()
            ):
                lightest = min(
                    placer.busy[person.id].values(),
                    key=lambda j: placer.weight_of[(j, placer.slot_of[j])],
                )
                displaced.add(lightest)
        tables_needed = placer.per_slot[slot] + 1 - sum(1 for j in displaced if placer.slot_of[j] == slot)
        if tables_needed > placer.problem.tables:
            continue
        gain = placer.weight_of[(i, slot)] - sum(placer.weight_of[(j, placer.slot_of[j])] for j in displaced)
        if gain > 1e-9 and (best is None or gain > best[0]):
            best = (gain, slot, displaced)
    if best is None:
        return False
    _, slot, displaced = best
    previous = [(j, placer.remove(j)) for j in displaced]
    if not placer.fits(i, slot):  # not expected by construction; put everything back
        for j, old_slot in previous:
            placer.add(j, old_slot)
        return False
    placer.add(i, slot)
    return True
