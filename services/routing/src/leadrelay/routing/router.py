"""Deciding who gets a lead with the locks that make it safe: the queues' states and the reps' loads are read
(and, in the database, locked), the pure decision (domain/route.py) is made, and its chosen rep is confirmed
under that rep's lock; a rep whose cap another decision filled meanwhile is refused and the lead decided again.

The same code decides for real (DbLedger: the database locks each queue and the chosen rep, so replicas
never exceed a cap and take fair turns) and for previews and backtests (MemoryLedger: nothing is stored).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from leadrelay.routing.domain.availability import local_day_start
from leadrelay.routing.domain.config import Rep, RoutingConfig
from leadrelay.routing.domain.decide import candidate
from leadrelay.routing.domain.route import Decision, Match, Situation, decide_escalation, decide_route
from leadrelay.routing.domain.strategies import QueueState, RepLoad
from leadrelay.routing.ports import Handoffs, QueueStates

__all__ = ["DbLedger", "Decision", "Ledger", "Match", "MemoryLedger", "escalate", "route"]


class Ledger(Protocol):
    """Where queue state and rep loads come from, and where a choice is recorded."""

    async def queue_state(self, queue: str) -> QueueState: ...

    async def save_queue_state(self, queue: str, state: QueueState) -> None: ...

    async def loads(self, reps: list[Rep], now: datetime) -> dict[str, RepLoad]: ...

    async def lock_rep(self, rep: Rep, now: datetime) -> RepLoad: ...


async def _settle(
    decide: Callable[[Situation], Decision], reps: list[Rep], queues: list[str], now: datetime, ledger: Ledger
) -> Decision:
    """Decide, then confirm the chosen rep under its lock; decide again without a rep that cannot take it."""
    # Locks are always taken queue first, then rep (as every decision does): decisions never deadlock.
    states = {queue: await ledger.queue_state(queue) for queue in sorted(queues)}
    loads = dict(await ledger.loads(reps, now))
    refused: dict[str, str] = {}
    for _ in range(len(reps) + 1):
        decision = decide(Situation(loads, states, refused))
        if decision.owner is None:
            return decision
        owner = decision.owner
        loads[owner.id] = await ledger.lock_rep(owner, now)
        confirmed = candidate(owner, now, loads[owner.id], refused)
        if confirmed.eligible or not decision.confirm:
            if decision.queue_state is not None:
                await ledger.save_queue_state(decision.queue.name, decision.queue_state)
            return decision
        refused[owner.id] = confirmed.why  # a concurrent decision filled the cap first: decide again
    return decide(Situation(loads, states, {rep.id: "no rep could be confirmed" for rep in reps}))


async def route(
    facts: dict[str, Any], config: RoutingConfig, now: datetime, ledger: Ledger, match: Match | None = None
) -> Decision:
    """Decide the lead's owner (see decide_route) under the locks that keep caps and turns across replicas."""
    return await _settle(
        lambda situation: decide_route(facts, config, now, situation, match),
        config.reps,
        [queue.name for queue in config.queues],
        now,
        ledger,
    )


async def escalate(
    queue_name: str,
    attempt: int,
    previous_owners: list[str],
    config: RoutingConfig,
    now: datetime,
    ledger: Ledger,
) -> Decision:
    """Who takes the next attempt of a breached handoff (see decide_escalation), under the same locks."""
    queue = next((q for q in config.queues if q.name == queue_name), config.queues[0])
    manager = config.rep(queue.manager) if queue.manager else None
    return await _settle(
        lambda situation: decide_escalation(queue_name, attempt, previous_owners, config, now, situation),
        config.reps_of(queue.name) + ([manager] if manager else []),
        [queue.name],
        now,
        ledger,
    )


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
