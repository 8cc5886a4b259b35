"""Routing's event handlers."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

import structlog

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import DecisionRef, LeadQualified, Owner, SlaTerms
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.adapters.uow import RoutingUnitOfWork
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.decide import HANDED_OFF_STAGES, choose_queue, due_at, pick_round_robin
from leadrelay.routing.metrics import UNROUTED

SOURCE = "leadrelay/routing"
HANDOFF_NAMESPACE = uuid.UUID("5b0c7a56-3f1e-4c8e-9a39-9f3c1c0d2b71")
log = structlog.get_logger(__name__)


def handoff_id_for(lead_id: str, attempt: int) -> str:
    """Return the deterministic handoff id of a lead's attempt (a redelivery cannot mint a second one)."""
    return str(uuid.uuid5(HANDOFF_NAMESPACE, f"{lead_id}:{attempt}"))


async def route_scored_lead(
    event: Envelope, uow: RoutingUnitOfWork, config: RoutingConfig, topics: Topics, now: datetime
) -> None:
    """Hand a sales-ready lead to a rep by rule and round robin; record every decision."""
    data: LeadScored = event.data
    facts = data.model_dump(mode="json")
    trace_id = str(uuid.uuid4())
    base: dict[str, Any] = {
        "trace_id": trace_id,
        "lead_id": data.lead_id,
        "attempt": 1,
        "stage": data.stage,
        "grade": data.grade,
        "score": data.score,
        "decided_at": now,
    }
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()  # keep the inbox claim of a late event about an erased lead
            return
        if data.stage not in HANDED_OFF_STAGES:
            why = f"stage {data.stage} is not handed off"
            await uow.decisions.add(**base, handed_off=False, trace={"outcome": "recorded", "why": why})
            await uow.commit()
            return
        earlier = await uow.decisions.handoff_of(data.lead_id)
        if earlier is not None:
            # A re-score (repeat submission, new activity) never hands the same lead off a second time.
            why = f"already handed off to {earlier['owner_id']} in {earlier['queue']}"
            await uow.decisions.add(**base, handed_off=False, trace={"outcome": "recorded", "why": why})
            await uow.commit()
            return
        choice = choose_queue(facts, config)
        checks = [asdict(c) for c in choice.checks]
        reps = config.reps_of(choice.queue.name) if choice.queue else []
        if choice.queue is None or not reps:
            why = (
                "no rule matched" if choice.queue is None else f"queue {choice.queue.name} has no active reps"
            )
            UNROUTED.labels(choice.queue.name if choice.queue else "none").inc()
            log.warning("lead_unrouted", lead_id=data.lead_id, why=why)
            await uow.decisions.add(
                **base, handed_off=False, trace={"outcome": "unrouted", "why": why, "rules": checks}
            )
            await uow.commit()
            return
        queue = choice.queue
        cursor = await uow.cursors.lock(queue.name)
        rep, next_cursor = pick_round_robin(reps, cursor)
        await uow.cursors.set(queue.name, next_cursor)
        handoff_id = handoff_id_for(data.lead_id, 1)
        due = due_at(queue, data.grade, now)
        qualified = LeadQualified(
            handoff_id=handoff_id,
            lead_id=data.lead_id,
            attempt=1,
            queue=queue.name,
            owner=Owner(id=rep.id, name=rep.name, email=rep.email),
            score=data.score,
            grade=data.grade,
            stage=data.stage,
            reasons=data.reasons,
            lead=data.lead,
            sla=SlaTerms(policy=queue.sla_policy, due_at=due),
            decision=DecisionRef(trace_id=trace_id, rule=choice.rule, strategy=queue.strategy),
            source=data.source,
        )
        trace: dict[str, Any] = {
            "outcome": "handed_off",
            "rules": checks,
            "candidates": [{"rep": r.id, "eligible": True, "why": f"active in {queue.name}"} for r in reps],
            "strategy": {"name": queue.strategy, "cursor": cursor, "chosen": rep.id},
        }
        await uow.decisions.add(
            **base,
            handoff_id=handoff_id,
            handed_off=True,
            queue=queue.name,
            owner_id=rep.id,
            rule=choice.rule,
            strategy=queue.strategy,
            due_at=due,
            trace=trace,
        )
        envelope = new_event(qualified, source=SOURCE, subject=data.lead_id)
        uow.outbox.add(envelope, topics.qualified)
        uow.outbox.add(envelope, topics.handoff(queue.name))
        await uow.commit()


async def erase_lead(event: Envelope, uow: RoutingUnitOfWork) -> None:
    """Anonymise an erased lead's decisions and drop every event about it still in the outbox."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.decisions.anonymise(lead_id)
        await uow.outbox.forget(lead_id)
        await uow.commit()
