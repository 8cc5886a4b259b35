"""Who gets a lead, decided from the lead, the configuration, the reps' loads and the queues' states: a pure
function. Taking locks, confirming the chosen rep under its lock and recording the outcome happen around it
(routing/router.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadrelay.routing.domain.availability import availability
from leadrelay.routing.domain.config import Queue, Rep, RoutingConfig
from leadrelay.routing.domain.decide import candidate, candidates, choose_queue
from leadrelay.routing.domain.strategies import Candidate, QueueState, RepLoad, pick


@dataclass(frozen=True)
class Match:
    """A known owner for the lead: its account's owner or its previous owner."""

    kind: str  # "account_owner" or "previous_owner"
    rep_id: str
    detail: str


@dataclass
class Decision:
    """Who gets the lead (None: the queue's pool), in which queue, by which rule and strategy, and why.

    queue_state is the queue's state after a strategy's pick (to store once the pick is confirmed); confirm
    says whether the owner must still be eligible under its lock (a manager taking an escalation need not)."""

    queue: Queue
    owner: Rep | None
    rule: str | None
    strategy: str
    trace: dict[str, Any] = field(default_factory=dict)
    fell_back: bool = False
    queue_state: QueueState | None = None
    confirm: bool = True

    @property
    def pooled(self) -> bool:
        return self.owner is None


@dataclass(frozen=True)
class Situation:
    """What a decision reads besides the lead and the configuration: reps' loads, queues' states, and reps
    refused so far with why (a cap another decision filled, or an earlier owner of the lead)."""

    loads: Mapping[str, RepLoad]
    states: Mapping[str, QueueState]
    refused: Mapping[str, str] = field(default_factory=dict)

    def load(self, rep: Rep) -> RepLoad:
        return self.loads.get(rep.id, RepLoad())


def _candidate_view(c: Candidate) -> dict[str, Any]:
    return {"rep": c.rep.id, "eligible": c.eligible, "why": c.why, "open": c.load.open, "today": c.load.today}


def _pick_in(
    queue: Queue, config: RoutingConfig, now: datetime, situation: Situation, skills: list[str]
) -> tuple[Rep | None, QueueState | None, dict[str, Any]]:
    """Run the queue's strategy over its reps; return the pick, the queue's next state and the trace."""
    reps = config.reps_of(queue.name)
    judged = candidates(reps, now, {r.id: situation.load(r) for r in reps}, situation.refused)
    working = any(rep.id not in situation.refused and availability(rep, now)[0] for rep in reps)
    # Nobody working now: caps and turns cannot matter, so the queue's turns are not moved.
    state = situation.states.get(queue.name, QueueState()) if working else QueueState()
    choice = pick(queue.strategy, judged, state, skills)
    view = {
        "queue": queue.name,
        "strategy": queue.strategy,
        "candidates": [_candidate_view(c) for c in judged],
    }
    if choice.rep is None:
        return None, None, {**view, "chosen": None, "why": choice.why}
    return choice.rep, choice.state, {**view, "chosen": choice.rep.id, "why": choice.why}


def decide_route(
    facts: dict[str, Any],
    config: RoutingConfig,
    now: datetime,
    situation: Situation,
    match: Match | None = None,
) -> Decision:
    """The lead's owner: a matched owner who is available, else the rule's queue and its fallbacks, else the
    pool of the rule's queue (the first queue when no rule matches): never dropped."""
    trace: dict[str, Any] = {}
    choice = choose_queue(facts, config)
    trace["rules"] = [{"rule": c.rule, "matched": c.matched, "why": c.why} for c in choice.checks]
    if match is not None:
        rep = config.rep(match.rep_id)
        if rep is None:
            trace["matching"] = {
                "kind": match.kind,
                "owner": match.rep_id,
                "used": False,
                "why": "not a configured rep",
            }
        else:
            home = (
                choice.queue
                if choice.queue and choice.queue.name in rep.queues
                else config.queue(rep.queues[0])
            )
            judged = candidate(rep, now, situation.load(rep), situation.refused)
            trace["matching"] = {
                "kind": match.kind, "owner": rep.id, "detail": match.detail, "used": judged.eligible,
                "why": judged.why,
            }  # fmt: skip
            if judged.eligible:  # the match decided, not the rule that chose the queue
                return Decision(home, rep, f"match: {match.kind} ({match.detail})"[:200], match.kind, trace)
    first = choice.queue or config.queues[0]
    if choice.queue is None:
        trace["unmatched"] = f"no rule matched: the pool of {first.name}, the first queue"
        return Decision(first, None, None, "pool", trace)
    trace["queues"] = []
    for queue in config.fallback_chain(first.name):
        rep, state, view = _pick_in(queue, config, now, situation, choice.require_skills)
        trace["queues"].append(view)
        if rep is not None:
            fell_back = queue.name != first.name
            return Decision(queue, rep, choice.rule, queue.strategy, trace, fell_back, queue_state=state)
    return Decision(first, None, choice.rule, "pool", trace, fell_back=True)


def decide_escalation(
    queue_name: str, attempt: int, previous_owners: list[str], config: RoutingConfig, now: datetime,
    situation: Situation,
) -> Decision:  # fmt: skip
    """Who takes attempt `attempt` of a breached handoff: the next eligible rep who never had the lead, then
    the queue's manager, then the queue's pool."""
    queue = next((q for q in config.queues if q.name == queue_name), config.queues[0])
    had = {rep: "already had this lead" for rep in previous_owners}
    trace: dict[str, Any] = {"escalation": {"attempt": attempt, "previous_owners": previous_owners}}
    if attempt == 2:
        excluded = Situation(situation.loads, situation.states, {**situation.refused, **had})
        rep, state, view = _pick_in(queue, config, now, excluded, [])
        trace["queues"] = [view]
        if rep is not None:
            return Decision(queue, rep, None, "escalation: next rep", trace, queue_state=state)
    if attempt <= 3 and queue.manager and queue.manager not in had:
        manager = config.rep(queue.manager)
        if manager is not None:
            trace["escalation"]["manager"] = manager.id
            return Decision(queue, manager, None, "escalation: manager", trace, confirm=False)
    trace["escalation"]["pool"] = queue.name
    return Decision(queue, None, None, "escalation: pool", trace)
