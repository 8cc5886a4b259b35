"""Routing's event handlers: hand off sql leads, escalate breaches, follow contact and outcomes, erase."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffBreached,
    LeadContacted,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.routing.adapters.repository import OPEN_STATES, person_key
from leadrelay.routing.adapters.uow import RoutingUnitOfWork
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.decide import HANDED_OFF_STAGES, due_at
from leadrelay.routing.metrics import FELL_BACK, POOLED, UNROUTED
from leadrelay.routing.router import DbLedger, Decision, Match, escalate, route

SOURCE = "leadrelay/routing"
HANDOFF_NAMESPACE = uuid.UUID("5b0c7a56-3f1e-4c8e-9a39-9f3c1c0d2b71")
log = structlog.get_logger(__name__)


def handoff_id_for(lead_id: str, attempt: int) -> str:
    """Return the deterministic handoff id of a lead's attempt (a redelivery cannot mint a second one)."""
    return str(uuid.uuid5(HANDOFF_NAMESPACE, f"{lead_id}:{attempt}"))


def pool_owner(queue: str) -> Owner:
    """The owner of a handoff nobody could take: the queue's pool, visible to the whole team."""
    return Owner(id=f"pool:{queue}", name=f"{queue} pool")


async def _match(uow: RoutingUnitOfWork, data: LeadScored) -> Match | None:
    """The account owner (by email domain or company), else the person's previous owner."""
    email = data.lead.contact.email
    domain = email.rsplit("@", 1)[-1] if email else None
    account = await uow.accounts.match(domain, data.lead.contact.company)
    if account is not None:
        return Match("account_owner", account["owner_id"], f"account {account['name']}")
    previous = await uow.leads.previous_owner(person_key(email), data.lead_id)
    return Match("previous_owner", previous, "an earlier lead of the same person") if previous else None


async def route_scored_lead(
    event: Envelope, uow: RoutingUnitOfWork, config: RoutingConfig, topics: Topics, now: datetime
) -> None:
    """Hand a sales-ready lead to a rep (matching, rules, strategy, fallbacks); record every decision."""
    data: LeadScored = event.data
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
        earlier = await uow.handoffs.of_lead(data.lead_id)
        if earlier:
            # A re-score (repeat submission, new activity) never hands the same lead off a second time.
            why = f"already handed off to {earlier[0]['owner_id']} in {earlier[0]['queue']}"
            await uow.decisions.add(**base, handed_off=False, trace={"outcome": "recorded", "why": why})
            await uow.commit()
            return
        facts = data.model_dump(mode="json")
        await uow.leads.remember(data.lead_id, facts, person_key(data.lead.contact.email), now)
        ledger = DbLedger(uow.queue_states, uow.handoffs)
        decision = await route(facts, config, now, ledger, await _match(uow, data))
        await _hand_off(uow, topics, data, decision, 1, trace_id, base, now)
        await uow.commit()


async def escalate_breach(
    event: Envelope, uow: RoutingUnitOfWork, config: RoutingConfig, topics: Topics, now: datetime
) -> None:
    """Reassign a breached handoff up the queue's ladder: next rep, manager, pool; attempt + 1."""
    data: HandoffBreached = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()
            return
        handoff = await uow.handoffs.get(data.handoff_id, lock=True)
        history = await uow.handoffs.of_lead(data.lead_id)
        if (
            handoff is None
            or handoff["state"] not in OPEN_STATES
            or history[-1]["handoff_id"] != data.handoff_id
        ):
            log.info("breach_ignored", handoff_id=data.handoff_id, why="not the lead's open handoff")
            await uow.commit()
            return
        scored = await uow.leads.scored(data.lead_id)
        await uow.handoffs.move(data.handoff_id, "reassigned", now, reason="first-contact deadline breached")
        if handoff["owner_id"].startswith("pool:") or scored is None:
            POOLED.labels(handoff["queue"]).inc()  # the pool missed it too: only people can help now
            log.warning("pool_handoff_breached", handoff_id=data.handoff_id, queue=handoff["queue"])
            await uow.commit()
            return
        attempt = handoff["attempt"] + 1
        previous = [h["owner_id"] for h in history]
        decision = await escalate(
            handoff["queue"], attempt, previous, config, now, DbLedger(uow.queue_states, uow.handoffs)
        )
        lead = LeadScored.model_validate(scored)
        trace_id = str(uuid.uuid4())
        base = {
            "trace_id": trace_id,
            "lead_id": data.lead_id,
            "attempt": attempt,
            "stage": lead.stage,
            "grade": lead.grade,
            "score": lead.score,
            "decided_at": now,
        }
        await _hand_off(uow, topics, lead, decision, attempt, trace_id, base, now)
        await uow.commit()


async def _hand_off(
    uow: RoutingUnitOfWork,
    topics: Topics,
    data: LeadScored,
    decision: Decision,
    attempt: int,
    trace_id: str,
    base: dict[str, Any],
    now: datetime,
) -> None:
    queue = decision.queue
    owner = (
        Owner(id=decision.owner.id, name=decision.owner.name, email=decision.owner.email)
        if decision.owner
        else pool_owner(queue.name)
    )
    if decision.pooled:
        POOLED.labels(queue.name).inc()
        if decision.strategy == "pool" and decision.rule is None:
            UNROUTED.labels("none").inc()
        log.warning("lead_pooled", lead_id=data.lead_id, queue=queue.name, attempt=attempt)
    elif decision.fell_back:
        FELL_BACK.labels(decision.trace["queues"][0]["queue"], queue.name).inc()
    handoff_id = handoff_id_for(data.lead_id, attempt)
    due = due_at(queue, data.grade, now)
    qualified = LeadQualified(
        handoff_id=handoff_id,
        lead_id=data.lead_id,
        attempt=attempt,
        queue=queue.name,
        owner=owner,
        score=data.score,
        grade=data.grade,
        stage=data.stage,
        reasons=data.reasons,
        lead=data.lead,
        sla=SlaTerms(policy=queue.sla_policy, due_at=due),
        decision=DecisionRef(trace_id=trace_id, rule=decision.rule, strategy=decision.strategy),
        source=data.source,
        captured_at=data.captured_at,
    )
    trace = {"outcome": "pooled" if decision.pooled else "handed_off", "owner": owner.id, **decision.trace}
    await uow.decisions.add(
        **base,
        handoff_id=handoff_id,
        handed_off=True,
        queue=queue.name,
        owner_id=owner.id,
        rule=decision.rule,
        strategy=decision.strategy,
        due_at=due,
        trace=trace,
    )
    await uow.handoffs.add(
        handoff_id=handoff_id,
        lead_id=data.lead_id,
        attempt=attempt,
        queue=queue.name,
        owner_id=owner.id,
        assigned_at=now,
        trace_id=trace_id,
    )
    envelope = new_event(qualified, source=SOURCE, subject=data.lead_id)
    uow.outbox.add(envelope, topics.qualified)
    uow.outbox.add(
        envelope, topics.name(queue.handoff_topic) if queue.handoff_topic else topics.handoff(queue.name)
    )


async def record_contact(event: Envelope, uow: RoutingUnitOfWork, now: datetime) -> None:
    """First contact frees the handoff from its owner's concurrent cap."""
    data: LeadContacted = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        handoff = await uow.handoffs.get(data.handoff_id, lock=True)
        if handoff is not None and handoff["state"] in OPEN_STATES:
            await uow.handoffs.move(data.handoff_id, "contacted", now)
        await uow.commit()


async def record_outcome(event: Envelope, uow: RoutingUnitOfWork, now: datetime) -> None:
    """An outcome closes the lead's open handoffs."""
    data: LeadOutcome = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.handoffs.close_lead(data.lead_id, now, reason=f"outcome: {data.outcome}")
        await uow.commit()


async def erase_lead(event: Envelope, uow: RoutingUnitOfWork) -> None:
    """Anonymise an erased lead's decisions, forget its data and drop every event about it in the outbox."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.decisions.anonymise(lead_id)
        await uow.leads.forget(lead_id)
        await uow.outbox.forget(lead_id)
        await uow.commit()
