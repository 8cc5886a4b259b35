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
from leadrelay.events.lead import ConsentChanged
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.events.sla import SlaPoliciesActivated
from leadrelay.routing.domain.config import Queue, Rep, RoutingConfig
from leadrelay.routing.domain.decide import HANDED_OFF_STAGES, due_at
from leadrelay.routing.domain.handoff import DecisionRecord, Handoff, RoutedLead, person_key
from leadrelay.routing.domain.requalify import Verdict, requalification
from leadrelay.routing.matching import Match, Matcher
from leadrelay.routing.metrics import FELL_BACK, POOLED, UNROUTED
from leadrelay.routing.ports import RoutingUnitOfWork
from leadrelay.routing.router import DbLedger, Decision, escalate, route
from leadrelay.sla_policies import PolicySet

SOURCE = "leadrelay/routing"
HANDOFF_NAMESPACE = uuid.UUID("5b0c7a56-3f1e-4c8e-9a39-9f3c1c0d2b71")
log = structlog.get_logger(__name__)


def handoff_id_for(lead_id: str, attempt: int) -> str:
    """Return the deterministic handoff id of a lead's attempt (a redelivery cannot mint a second one)."""
    return str(uuid.uuid5(HANDOFF_NAMESPACE, f"{lead_id}:{attempt}"))


def pool_owner(queue: str) -> Owner:
    """The owner of a handoff nobody could take: the queue's pool, visible to the whole team."""
    return Owner(id=f"pool:{queue}", name=f"{queue} pool")


async def route_scored_leads(
    events: list[Envelope], uow: RoutingUnitOfWork, config: RoutingConfig, topics: Topics, now: datetime
) -> None:
    """Hand sales-ready leads to reps (matching, rules, strategy, fallbacks) and record every decision, all
    in one transaction: each queue and rep is locked once for the batch and the writes are multi-row."""
    async with uow:
        claimed = await uow.inbox.claim_many(events)
        erased = await uow.tombstones.erased({e.data.lead_id for e in claimed})
        scored: list[LeadScored] = [e.data for e in claimed if e.data.lead_id not in erased]
        ready = [d for d in scored if d.stage in HANDED_OFF_STAGES]
        earlier = await uow.handoffs.latest_of_leads({d.lead_id for d in ready})
        rules = config.requalification
        verdicts = {lead: requalification(h, rules, now) for lead, h in earlier.items()}
        # the latest score of each lead that goes to sales now: never handed off, or qualified again
        fresh = {d.lead_id: d for d in ready if d.lead_id not in earlier or verdicts[d.lead_id].again}
        await uow.leads.remember_many(
            [RoutedLead(lead_id, d, person_key(d.lead.contact.email)) for lead_id, d in fresh.items()], now
        )
        matcher = await Matcher.load(uow, list(fresh.values()))
        ledger = DbLedger(uow.queue_states, uow.handoffs)
        policies = await uow.sla_policies.current() if fresh else None
        if fresh:
            # A batch can reach several queues (rules, fallbacks) in any order; taking every queue's lock up
            # front, in one order, keeps two batches from waiting on each other in a cycle.
            await ledger.lock_queues([queue.name for queue in config.queues])
        decisions: list[DecisionRecord] = []
        handoffs: list[Handoff] = []
        for data in scored:
            if data.stage not in HANDED_OFF_STAGES:
                decisions.append(_recorded(data, now, f"stage {data.stage} is not handed off"))
                continue
            previous = earlier.get(data.lead_id)
            verdict = verdicts.get(data.lead_id)
            if previous is not None and verdict is not None and not verdict.again:
                # A re-score (repeat submission, new activity) of a lead with sales hands nothing off; a
                # rejected or lost one waits out its cool-down (and a barring reason).
                decisions.append(_recorded(data, now, verdict.why))
                continue
            match = matcher.match(data)
            if previous is not None and not previous.pooled:  # back to its previous owner, when eligible
                match = Match("previous_owner", previous.owner_id, "this lead's previous handoff")
            # the lead as rule conditions read it: a JSON document, as the rules' field paths name it
            decision = await route(data.model_dump(mode="json"), config, now, ledger, match)
            attempt = previous.attempt + 1 if previous is not None else 1
            history = _history(previous, verdict) if previous is not None and verdict is not None else None
            record, handoff = _hand_off(
                uow, topics, data, decision, attempt, now, policies, config, requalified=history
            )
            decisions.append(record)
            handoffs.append(handoff)
            earlier[data.lead_id] = handoff
            verdicts[data.lead_id] = requalification(handoff, rules, now)  # a repeat in the batch: handed off
            matcher.handed_off(data, handoff.owner_id)
            if decision.owner is not None:
                ledger.assigned(decision.owner.id)
        await ledger.save()
        await uow.decisions.add_many(decisions)
        await uow.handoffs.add_many(handoffs)
        await uow.commit()


def _recorded(data: LeadScored, now: datetime, why: str) -> DecisionRecord:
    """A decision to hand nothing off, and why."""
    return DecisionRecord(
        trace_id=str(uuid.uuid4()), lead_id=data.lead_id, attempt=1, handed_off=False, stage=data.stage,
        grade=data.grade, score=data.score, decided_at=now, trace={"outcome": "recorded", "why": why},
    )  # fmt: skip


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
        if handoff is None or not handoff.is_open or history[-1].handoff_id != data.handoff_id:
            log.info("breach_ignored", handoff_id=data.handoff_id, why="not the lead's open handoff")
            await uow.commit()
            return
        lead = await uow.leads.scored(data.lead_id)
        await uow.handoffs.save(handoff.reassign(now, reason="first-contact deadline breached"))
        if handoff.pooled or lead is None:
            POOLED.labels(handoff.queue).inc()  # the pool missed it too: only people can help now
            log.warning("pool_handoff_breached", handoff_id=data.handoff_id, queue=handoff.queue)
            await uow.commit()
            return
        attempt = handoff.attempt + 1
        previous = [h.owner_id for h in history]
        ledger = DbLedger(uow.queue_states, uow.handoffs)
        decision = await escalate(handoff.queue, ladder_step(history), previous, config, now, ledger)
        policies = await uow.sla_policies.current()
        record, reassigned = _hand_off(uow, topics, lead, decision, attempt, now, policies, config)
        await ledger.save()
        await uow.decisions.add_many([record])
        await uow.handoffs.add_many([reassigned])
        await uow.commit()


def _hand_off(
    uow: RoutingUnitOfWork,
    topics: Topics,
    data: LeadScored,
    decision: Decision,
    attempt: int,
    now: datetime,
    policies: PolicySet | None,
    config: RoutingConfig,
    requalified: dict[str, Any] | None = None,
) -> tuple[DecisionRecord, Handoff]:
    """Queue the LeadQualified events of a decision, with the deadline the SLA policies give it (their clock
    starts at the event's time); return its decision and handoff to record."""
    trace_id = str(uuid.uuid4())
    queue = decision.queue
    owner = _owner_of(decision.owner) if decision.owner else pool_owner(queue.name)
    if decision.pooled:
        POOLED.labels(queue.name).inc()
        if decision.strategy == "pool" and decision.rule is None:
            UNROUTED.labels("none").inc()
        log.warning("lead_pooled", lead_id=data.lead_id, queue=queue.name, attempt=attempt)
    elif decision.fell_back:
        FELL_BACK.labels(decision.trace["queues"][0]["queue"], queue.name).inc()
    handoff_id = handoff_id_for(data.lead_id, attempt)
    due = due_at(policies, queue, data.grade, now)
    qualified = LeadQualified(
        handoff_id=handoff_id,
        lead_id=data.lead_id,
        attempt=attempt,
        queue=queue.name,
        owner=owner,
        manager=_manager_of(queue, config),
        score=data.score,
        grade=data.grade,
        stage=data.stage,
        reasons=data.reasons,
        lead=data.lead,
        sla=SlaTerms(policy=queue.sla_policy, due_at=due),
        decision=DecisionRef(trace_id=trace_id, rule=decision.rule, strategy=decision.strategy),
        source=data.source,
        captured_at=data.captured_at,
        requalified=requalified is not None,
    )
    trace = {"outcome": "pooled" if decision.pooled else "handed_off", "owner": owner.id, **decision.trace}
    if requalified is not None:
        trace["requalified"] = requalified
    record = DecisionRecord(
        trace_id=trace_id, lead_id=data.lead_id, attempt=attempt, handed_off=True, stage=data.stage,
        grade=data.grade, score=data.score, decided_at=now, trace=trace, handoff_id=handoff_id,
        queue=queue.name, owner_id=owner.id, rule=decision.rule, strategy=decision.strategy, due_at=due,
    )  # fmt: skip
    handoff = Handoff(handoff_id, data.lead_id, attempt, queue.name, owner.id, now, trace_id)
    envelope = new_event(qualified, source=SOURCE, subject=data.lead_id, time=now)
    uow.outbox.add(envelope, topics.qualified)
    uow.outbox.add(
        envelope, topics.name(queue.handoff_topic) if queue.handoff_topic else topics.handoff(queue.name)
    )
    return record, handoff


def ladder_step(history: list[Handoff]) -> int:
    """Which step of the escalation ladder the next attempt takes (2: the next rep, 3: the manager, then the
    pool), counted from the start of the lead's current run with sales: a lead handed off again after a
    rejection starts the ladder afresh, though its attempt numbers go on."""
    start = history[-1].attempt
    for earlier in reversed(history[:-1]):
        if earlier.state != "reassigned":
            break
        start = earlier.attempt
    return history[-1].attempt - start + 2


def _history(previous: Handoff, verdict: Verdict) -> dict[str, Any]:
    """What the decision trace says of the handoff a re-qualified lead had before."""
    return {
        "why": verdict.why,
        "previous": {
            "handoff_id": previous.handoff_id,
            "attempt": previous.attempt,
            "queue": previous.queue,
            "owner": previous.owner_id,
            "state": previous.state,
            "reason": previous.reason,
            "closed_at": previous.closed_at.isoformat() if previous.closed_at else None,
        },
    }


def _owner_of(rep: Rep) -> Owner:
    """A rep as a handoff names them: who, where to write, the time zone they read deadlines in."""
    return Owner(id=rep.id, name=rep.name, email=rep.email, timezone=rep.timezone)


def _manager_of(queue: Queue, config: RoutingConfig) -> Owner | None:
    """The queue's manager, whom the delivery service tells about a late handoff."""
    manager = next((rep for rep in config.reps if rep.id == queue.manager), None)
    return _owner_of(manager) if manager else None


async def adopt_sla_policies(event: Envelope, uow: RoutingUnitOfWork) -> None:
    """Keep the SLA monitor's newly activated policies, to state handoffs' deadlines by (older ones are
    ignored: announcements may come again or out of order)."""
    data: SlaPoliciesActivated = event.data
    async with uow:
        if await uow.inbox.claim(event) and await uow.sla_policies.adopt(data.policies, data.activated_at):
            log.info("sla_policies_adopted", version=data.policies.version)
        await uow.commit()


async def record_contact(event: Envelope, uow: RoutingUnitOfWork, now: datetime) -> None:
    """First contact frees the handoff from its owner's concurrent cap."""
    data: LeadContacted = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        handoff = await uow.handoffs.get(data.handoff_id, lock=True)
        if handoff is not None and handoff.is_open:
            await uow.handoffs.save(handoff.contact(now))
        await uow.commit()


async def record_outcome(event: Envelope, uow: RoutingUnitOfWork, now: datetime) -> None:
    """An outcome closes the lead's open handoffs."""
    data: LeadOutcome = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        for handoff in await uow.handoffs.of_lead(data.lead_id):
            if handoff.is_open:
                await uow.handoffs.save(handoff.close(now, reason=f"outcome: {data.outcome}"))
        await uow.commit()


async def apply_consent(event: Envelope, uow: RoutingUnitOfWork) -> None:
    """Keep a consent change in the lead routing holds, so a later handoff of it (an escalation) carries it."""
    data: ConsentChanged = event.data
    async with uow:
        if await uow.inbox.claim(event):
            await uow.leads.apply_consent(data.lead_id, data.marketing)
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
