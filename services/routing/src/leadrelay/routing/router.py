"""Deciding who gets a lead: matching, rules, the queue's strategy, fallbacks; and escalating a breach.

The same code decides for real (DbLedger: the database locks each queue and the chosen rep, so replicas
never exceed a cap and take fair turns) and for previews and backtests (MemoryLedger: nothing is stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from leadrelay.routing.domain.availability import availability, local_day_start
from leadrelay.routing.domain.config import Queue, Rep, RoutingConfig
from leadrelay.routing.domain.decide import candidate, candidates, choose_queue
from leadrelay.routing.domain.strategies import Candidate, QueueState, RepLoad, pick
from leadrelay.routing.ports import Handoffs, QueueStates


class Ledger(Protocol):
    """Where queue state and rep loads come from, and where a choice is recorded."""

    async def queue_state(self, queue: str) -> QueueState: ...

    async def save_queue_state(self, queue: str, state: QueueState) -> None: ...

    async def loads(self, reps: list[Rep], now: datetime) -> dict[str, RepLoad]: ...

    async def lock_rep(self, rep: Rep, now: datetime) -> RepLoad: ...


@dataclass
class Decision:
    """Who gets the lead (None: the queue's pool), in which queue, by which rule and strategy, and why."""

    queue: Queue
    owner: Rep | None
    rule: str | None
    strategy: str
    trace: dict[str, Any] = field(default_factory=dict)
    fell_back: bool = False

    @property
    def pooled(self) -> bool:
        return self.owner is None


@dataclass(frozen=True)
class Match:
    """A known owner for the lead: its account's owner or its previous owner."""

    kind: str  # "account_owner" or "previous_owner"
    rep_id: str
    detail: str


def _candidate_view(c: Candidate) -> dict[str, Any]:
    return {"rep": c.rep.id, "eligible": c.eligible, "why": c.why, "open": c.load.open, "today": c.load.today}


async def _pick_in(
    queue: Queue,
    config: RoutingConfig,
    now: datetime,
    ledger: Ledger,
    skills: list[str],
    excluded: Mapping[str, str],
) -> tuple[Rep | None, dict[str, Any]]:
    """Run the queue's strategy; the chosen rep is re-checked under its lock (another queue may share it)."""
    reps = config.reps_of(queue.name)
    if not any(rep.id not in excluded and availability(rep, now)[0] for rep in reps):
        # Nobody here is working now, so caps and turns cannot matter: no lock, and off-hours leads never
        # queue behind each other on the queue's row (the loads are read only to explain the decision).
        judged = candidates(reps, now, await ledger.loads(reps, now), excluded)
        choice = pick(queue.strategy, judged, QueueState(), skills)
        view = {
            "queue": queue.name,
            "strategy": queue.strategy,
            "candidates": [_candidate_view(c) for c in judged],
        }
        return None, {**view, "chosen": None, "why": choice.why}
    state = await ledger.queue_state(queue.name)
    loads = await ledger.loads(reps, now)
    judged = candidates(reps, now, loads, excluded)
    refused: dict[str, str] = dict(excluded)
    for _ in range(len(reps) + 1):
        choice = pick(queue.strategy, judged, state, skills)
        view = {
            "queue": queue.name,
            "strategy": queue.strategy,
            "candidates": [_candidate_view(c) for c in judged],
        }
        if choice.rep is None:
            return None, {**view, "chosen": None, "why": choice.why}
        fresh = candidate(choice.rep, now, await ledger.lock_rep(choice.rep, now), refused)
        if fresh.eligible:
            await ledger.save_queue_state(queue.name, choice.state)
            return choice.rep, {**view, "chosen": choice.rep.id, "why": choice.why}
        refused[choice.rep.id] = fresh.why  # a concurrent decision filled the cap first: choose again
        judged = [fresh if c.rep.id == choice.rep.id else c for c in judged]
    return None, {"queue": queue.name, "chosen": None, "why": "no rep could be confirmed"}


async def route(
    facts: dict[str, Any], config: RoutingConfig, now: datetime, ledger: Ledger, match: Match | None = None
) -> Decision:
    """Decide the lead's owner: a matched owner who is available, else the rule's queue and its fallbacks,
    else the pool of the rule's queue (the first queue when no rule matches): never dropped."""
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
            # Locks are always taken queue first, then rep (as the strategies do): decisions never deadlock.
            await ledger.queue_state(home.name)
            judged = candidate(rep, now, await ledger.lock_rep(rep, now))
            trace["matching"] = {
                "kind": match.kind,
                "owner": rep.id,
                "detail": match.detail,
                "used": judged.eligible,
                "why": judged.why,
            }
            if judged.eligible:  # the match decided, not the rule that chose the queue
                return Decision(home, rep, f"match: {match.kind} ({match.detail})"[:200], match.kind, trace)
    first = choice.queue or config.queues[0]
    if choice.queue is None:
        trace["unmatched"] = f"no rule matched: the pool of {first.name}, the first queue"
        return Decision(first, None, None, "pool", trace)
    trace["queues"] = []
    for queue in config.fallback_chain(first.name):
        rep, view = await _pick_in(queue, config, now, ledger, choice.require_skills, {})
        trace["queues"].append(view)
        if rep is not None:
            return Decision(
                queue, rep, choice.rule, queue.strategy, trace, fell_back=queue.name != first.name
            )
    return Decision(first, None, choice.rule, "pool", trace, fell_back=True)


async def escalate(
    queue_name: str,
    attempt: int,
    previous_owners: list[str],
    config: RoutingConfig,
    now: datetime,
    ledger: Ledger,
) -> Decision:
    """Who takes attempt `attempt` of a breached handoff: the next eligible rep who never had the lead,
    then the queue's manager, then the queue's pool."""
    queue = next((q for q in config.queues if q.name == queue_name), config.queues[0])
    had = {rep: "already had this lead" for rep in previous_owners}
    trace: dict[str, Any] = {"escalation": {"attempt": attempt, "previous_owners": previous_owners}}
    if attempt == 2:
        rep, view = await _pick_in(queue, config, now, ledger, [], had)
        trace["queues"] = [view]
        if rep is not None:
            return Decision(queue, rep, None, "escalation: next rep", trace)
    if attempt <= 3 and queue.manager and queue.manager not in had:
        manager = config.rep(queue.manager)
        if manager is not None:
            await ledger.lock_rep(manager, now)
            trace["escalation"]["manager"] = manager.id
            return Decision(queue, manager, None, "escalation: manager", trace)
    trace["escalation"]["pool"] = queue.name
    return Decision(queue, None, None, "escalation: pool", trace)


class DbLedger:
    """Queue state and loads from routing's database, locked for the transaction.

    Each lock is taken once per transaction and what it protects is then kept here: a batch of decisions
    reads a queue's state and a locked rep's load once, counts its own assignments, and saves each queue's
    state once (save()) before commit.
    """

    def __init__(self, states: QueueStates, handoffs: Handoffs) -> None:
        self._states = states
        self._handoffs = handoffs
        self._queues: dict[str, QueueState] = {}
        self._changed: set[str] = set()
        self._locked_reps: dict[str, RepLoad] = {}  # exact while we hold the rep's lock
        self._hints: dict[str, RepLoad] = {}

    async def queue_state(self, queue: str) -> QueueState:
        if queue not in self._queues:
            self._queues[queue] = await self._states.lock(queue)
        return self._queues[queue]

    async def save_queue_state(self, queue: str, state: QueueState) -> None:
        self._queues[queue] = state
        self._changed.add(queue)

    async def lock_queues(self, queues: list[str]) -> None:
        """Lock these queues now, in name order, so transactions that lock several never deadlock."""
        unlocked = [queue for queue in queues if queue not in self._queues]
        if unlocked:
            self._queues.update(await self._states.lock_many(unlocked))

    async def loads(self, reps: list[Rep], now: datetime) -> dict[str, RepLoad]:
        # Loads of reps we have not locked are hints (a choice is re-checked under the rep's lock), so they
        # are read once per transaction too.
        unread = {r.id: local_day_start(r, now) for r in reps if r.id not in self._locked_reps}
        unread = {rep: start for rep, start in unread.items() if rep not in self._hints}
        if unread:
            self._hints.update({rep: RepLoad(*c) for rep, c in (await self._handoffs.loads(unread)).items()})
        return {
            r.id: self._locked_reps[r.id] if r.id in self._locked_reps else self._hints[r.id] for r in reps
        }

    async def lock_rep(self, rep: Rep, now: datetime) -> RepLoad:
        if rep.id not in self._locked_reps:
            await self._states.lock_rep(rep.id)
            counts = await self._handoffs.loads({rep.id: local_day_start(rep, now)})
            self._locked_reps[rep.id] = RepLoad(*counts[rep.id])
        return self._locked_reps[rep.id]

    def assigned(self, rep_id: str) -> None:
        """Count an assignment made in this transaction against the (locked) rep."""
        load = self._locked_reps[rep_id]
        self._locked_reps[rep_id] = RepLoad(open=load.open + 1, today=load.today + 1)

    async def save(self) -> None:
        """Store the state of every queue whose state changed (call before commit)."""
        for queue in sorted(self._changed):
            await self._states.save(queue, self._queues[queue])
        self._changed.clear()


class MemoryLedger:
    """Queue state and loads in memory: previews and backtests change nothing real."""

    def __init__(self, loads: Mapping[str, RepLoad] | None = None) -> None:
        self.states: dict[str, QueueState] = {}
        self.load_of: dict[str, RepLoad] = dict(loads or {})

    async def queue_state(self, queue: str) -> QueueState:
        return self.states.get(queue, QueueState())

    async def save_queue_state(self, queue: str, state: QueueState) -> None:
        self.states[queue] = state

    async def loads(self, reps: list[Rep], now: datetime) -> dict[str, RepLoad]:
        return {r.id: self.load_of.get(r.id, RepLoad()) for r in reps}

    async def lock_rep(self, rep: Rep, now: datetime) -> RepLoad:
        return self.load_of.get(rep.id, RepLoad())

    def assigned(self, rep_id: str) -> None:
        """Count a simulated assignment against the rep."""
        load = self.load_of.get(rep_id, RepLoad())
        self.load_of[rep_id] = RepLoad(open=load.open + 1, today=load.today + 1)
