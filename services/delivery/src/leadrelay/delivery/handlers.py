"""What the delivery consumer does with handoff events: one delivery per event and subscription that wants it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from leadrelay.delivery.adapters.uow import DeliveryUnitOfWork
from leadrelay.delivery.domain.outcomes import OutcomeBatch
from leadrelay.delivery.domain.subscriptions import HandoffFacts, SubscriptionSpec
from leadrelay.delivery.slack import slack_message
from leadrelay.events import Envelope, encode, new_event
from leadrelay.events.handoff import LeadQualified
from leadrelay.events.scoring import LeadOutcome
from leadrelay.events.topics import Topics


def webhook_id(event_id: str, subscription_id: str) -> str:
    """The delivery's id in the `webhook-id` header: the same on every attempt and replay, so a receiver that
    got it once can drop a repeat."""
    return "msg_" + hashlib.sha256(f"{event_id}/{subscription_id}".encode()).hexdigest()[:32]


def facts_of(event: Envelope) -> tuple[str, HandoffFacts]:
    """The handoff an event concerns, as far as the event itself tells."""
    data = event.data
    if isinstance(data, LeadQualified):
        return data.handoff_id, HandoffFacts(queue=data.queue, owner_id=data.owner.id, grade=data.grade)
    return data.handoff_id, HandoffFacts(queue=data.queue, owner_id=data.owner_id)  # type: ignore[attr-defined]


def body_for(spec: SubscriptionSpec, event: Envelope) -> str:
    """A webhook gets the CloudEvent as it is; a Slack-compatible hook gets a message for people."""
    if spec.target.type == "slack":
        return slack_message(event)
    return encode(event).decode()


async def plan_deliveries(events: list[Envelope], uow: DeliveryUnitOfWork, now: datetime) -> int:
    """Record a delivery for every new event and subscription that wants it; return how many."""
    async with uow:
        fresh = await uow.inbox.claim_many(events)
        if not fresh:
            return 0
        told = {event.id: facts_of(event) for event in fresh}
        qualified = {told[e.id][0]: told[e.id][1] for e in fresh if isinstance(e.data, LeadQualified)}
        await uow.handoffs.remember(qualified)
        # a later event names its handoff: match it as its LeadQualified described it, when one was seen
        unknown = {handoff_id for handoff_id, _ in told.values()} - qualified.keys()
        known = qualified | (await uow.handoffs.facts(unknown) if unknown else {})
        active = await uow.subscriptions.all()
        rows: list[dict[str, Any]] = []
        for event in fresh:
            handoff_id, own = told[event.id]
            handoff = known.get(handoff_id, own)
            for subscription_id, spec in active:
                if spec.wants(event.type, handoff):
                    rows.append(
                        {
                            "subscription_id": subscription_id,
                            "event_id": event.id,
                            "event_type": event.type,
                            "lead_id": event.data.lead_id,  # type: ignore[attr-defined]
                            "webhook_id": webhook_id(event.id, subscription_id),
                            "body": body_for(spec, event),
                            "created_at": now,
                        }
                    )
        await uow.deliveries.add(rows)
        await uow.commit()
        return len(rows)


async def forget_lead(event: Envelope, uow: DeliveryUnitOfWork, now: datetime) -> None:
    """An erased lead's deliveries keep no body (it holds the lead's personal data), and those not yet made
    are not made."""
    async with uow:
        if await uow.inbox.claim(event):
            await uow.deliveries.erase(event.data.lead_id, now)  # type: ignore[attr-defined]
            await uow.commit()


async def record_outcomes(
    batch: OutcomeBatch, uow: DeliveryUnitOfWork, topics: Topics, now: datetime
) -> list[str]:
    """Emit a LeadOutcome for each outcome whose CRM id is new; return the ids that were repeats."""
    events = {
        o.id: new_event(
            LeadOutcome(lead_id=o.lead_id, outcome=o.outcome, reason=o.reason, value=o.value, at=o.at),
            source="leadrelay/delivery",
            subject=o.lead_id,
        )
        for o in batch.outcomes
    }
    async with uow:
        receipts = [
            {"crm_id": o.id, "lead_id": o.lead_id, "event_id": events[o.id].id, "received_at": now}
            for o in batch.outcomes
        ]
        new = await uow.outcomes.claim(receipts)
        for outcome in batch.outcomes:  # in the CRM's order: two outcomes of one lead stay in it
            if outcome.id in new:
                uow.outbox.add(events[outcome.id], topics.outcomes)
        await uow.commit()
    return [o.id for o in batch.outcomes if o.id not in new]
