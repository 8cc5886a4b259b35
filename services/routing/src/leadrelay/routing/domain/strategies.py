"""How a queue picks one rep among its candidates. Pure: the queue's state goes in and comes out.

Fairness rule: absence earns no credit. Round robin skips reps who cannot take a lead without owing them
turns; weighted round robin adds credit only to reps eligible at that moment; load balanced and skills match
count a rep who came back from an absence within the ramp period as carrying at least the median open load
of the others, so a returning rep gets leads at the queue's pace instead of the backlog in one go.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace

from leadrelay.routing.domain.config import Rep, Strategy


@dataclass(frozen=True)
class RepLoad:
    """A rep's open handoffs and today's assignments (in the rep's local day)."""

    open: int = 0
    today: int = 0


@dataclass(frozen=True)
class Candidate:
    """A rep of the queue, whether they may take this lead, and why."""

    rep: Rep
    eligible: bool
    why: str
    load: RepLoad = RepLoad()
    returning: bool = False


@dataclass(frozen=True)
class QueueState:
    """What a queue remembers between decisions: the round-robin cursor and weighted credits."""

    cursor: int = 0
    credits: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Pick:
    """The strategy's choice (None: nobody eligible), the queue's next state, and why."""

    rep: Rep | None
    state: QueueState
    why: str


def pick(strategy: Strategy, candidates: list[Candidate], state: QueueState, skills: list[str]) -> Pick:
    """Apply the queue's strategy to its candidates (in configured order)."""
    if strategy == "round_robin":
        return round_robin(candidates, state)
    if strategy == "weighted_round_robin":
        return weighted_round_robin(candidates, state)
    if strategy == "skills_match":
        return least_loaded(candidates, state, skills)
    return least_loaded(candidates, state, [])


def round_robin(candidates: list[Candidate], state: QueueState) -> Pick:
    """Strict turns in configured order, starting after the last rep chosen; skipped reps owe nothing."""
    n = len(candidates)
    for step in range(n):
        index = (state.cursor + step) % n
        if candidates[index].eligible:
            chosen = candidates[index].rep
            return Pick(
                chosen, replace(state, cursor=index + 1), f"next in turn (position {index + 1} of {n})"
            )
    return Pick(None, state, "no rep of the queue can take a lead now")


def weighted_round_robin(candidates: list[Candidate], state: QueueState) -> Pick:
    """Smooth weighted round robin (as nginx does) over the eligible reps: shares follow the weights."""
    eligible = [c.rep for c in candidates if c.eligible]
    if not eligible:
        return Pick(None, state, "no rep of the queue can take a lead now")
    credits = dict(state.credits)
    for rep in eligible:
        credits[rep.id] = credits.get(rep.id, 0.0) + rep.weight
    chosen = max(eligible, key=lambda r: credits[r.id])  # ties: the first in configured order
    credits[chosen.id] -= sum(r.weight for r in eligible)
    why = (
        f"highest credit {credits[chosen.id] + sum(r.weight for r in eligible):g} (weight {chosen.weight:g})"
    )
    return Pick(chosen, replace(state, credits=credits), why)


def least_loaded(candidates: list[Candidate], state: QueueState, skills: list[str]) -> Pick:
    """Fewest open handoffs among eligible reps (with the skills asked for); ties take turns."""
    eligible = [
        (i, c) for i, c in enumerate(candidates) if c.eligible and all(s in c.rep.skills for s in skills)
    ]
    if not eligible:
        missing = f" with skills {', '.join(skills)}" if skills else ""
        return Pick(None, state, f"no rep{missing} can take a lead now")
    settled = [c.load.open for _, c in eligible if not c.returning]
    floor = statistics.median(settled) if settled else 0

    def effective(c: Candidate) -> float:
        return max(c.load.open, floor) if c.returning else c.load.open

    n = len(candidates)
    index, chosen = min(eligible, key=lambda ic: (effective(ic[1]), (ic[0] - state.cursor) % n))
    why = f"fewest open handoffs ({chosen.load.open})" + (f", has {', '.join(skills)}" if skills else "")
    return Pick(chosen.rep, replace(state, cursor=index + 1), why)
