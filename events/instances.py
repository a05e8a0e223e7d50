"""Generated scheduling instances for the benchmark and the tests (not used in production)."""

import random

from .scheduling import Candidate, Person, Problem


def random_event(
    *,
    seed: int = 0,
    participants: int = 300,
    pairs: int = 2000,
    slots: int = 16,
    tables: int = 40,
    break_slot: int | None = 8,
) -> Problem:
    """Half achievement holders, half enterprises; each available in one window of at least
    half the event, everyone on break in `break_slot`; pair values mimic mutual requests (3x),
    accepted requests (2x) and broker recommendations (1x) weighted by a match score."""
    rng = random.Random(seed)
    people = {}
    for i in range(participants):
        side = "holder" if i < participants // 2 else "enterprise"
        start = rng.randint(0, slots // 2)
        length = rng.randint(slots // 2, slots)
        available = frozenset(s for s in range(start, min(slots, start + length)) if s != break_slot)
        people[i] = Person(i, side, rng.randint(3, 8), available)
    seen, candidates = set(), []
    while len(candidates) < pairs:
        holder, enterprise = rng.randrange(participants // 2), rng.randrange(participants // 2, participants)
        if (holder, enterprise) in seen:
            continue
        seen.add((holder, enterprise))
        kind = rng.random()
        weight = 3 if kind < 0.15 else 2 if kind < 0.45 else 1
        candidates.append(Candidate(holder, enterprise, round(weight * rng.uniform(0.4, 1.0), 3)))
    return Problem(slots, tables, people, candidates)


def without(problem: Problem, cancelled: set, schedule) -> Problem:
    """The same event after `cancelled` participants withdrew, keeping the old schedule."""
    people = {pid: p for pid, p in problem.people.items() if pid not in cancelled}
    candidates = [c for c in problem.candidates if c.holder in people and c.enterprise in people]
    existing = {
        (m.holder, m.enterprise): (m.slot, m.table)
        for m in schedule.placements
        if m.holder in people and m.enterprise in people
    }
    return Problem(problem.slots, problem.tables, people, candidates, existing, problem.move_penalty)
