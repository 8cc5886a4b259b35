"""What the delivery consumer does with handoff events: one delivery per event and subscription that wants it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from leadrelay.delivery.adapters.uow import DeliveryUnitOfWork
from leadrelay.delivery.domain.notifications import Recipient, recipients
from leadrelay.delivery.domain.outcomes import OutcomeBatch
from leadrelay.delivery.domain.subscriptions import HandoffFacts, Person, SubscriptionSpec
from leadrelay.delivery.emails import EmailComposer
from leadrelay.delivery.slack import slack_message
from leadrelay.events import Envelope, encode, new_event
from leadrelay.events.handoff import LeadQualified, Owner
from leadrelay.events.scoring import LeadOutcome
from leadrelay.events.topics import Topics


def webhook_id(event_id: str, subscription_id: str) -> str:
    """The delivery's id in the `webhook-id` header: the same on every attempt and replay, so a receiver that
    got it once can drop a repeat."""
    return "msg_" + hashlib.sha256(f"{event_id}/{subscription_id}".encode()).hexdigest()[:32]


def _person(owner: Owner | None) -> Person | None:
    return Person(id=owner.id, name=owner.name, email=owner.email, timezone=owner.timezone) if owner else None


def facts_of(event: Envelope) -> tuple[str, HandoffFacts]:
    """The handoff an event concerns, as far as the event itself tells."""
    data = event.data
    if isinstance(data, LeadQualified):
        facts = HandoffFacts(
            queue=data.queue,
            owner_id=data.owner.id,
            grade=data.grade,
            owner=_person(data.owner),
            manager=_person(data.manager),
            lead_name=data.lead.contact.name,
            lead_company=data.lead.contact.company,
        )
        return data.handoff_id, facts
    return data.handoff_id, HandoffFacts(queue=data.queue, owner_id=data.owner_id)  # type: ignore[attr-defined]


def body_for(spec: SubscriptionSpec, event: Envelope) -> str:
    """A webhook gets the CloudEvent as it is; a Slack-compatible hook gets a message for people."""
    if spec.target.type == "slack":
        return slack_message(event)
    return encode(event).decode()


def _row(event: Envelope, key: str, body: str, now: datetime, **target: str | None) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "event_type": event.type,
        "lead_id": event.data.lead_id,  # type: ignore[attr-defined]
        "webhook_id": webhook_id(event.id, key),
        "body": body,
        "created_at": now,
        **target,
    }


def _planned(
    event: Envelope,
    handoff: HandoffFacts,
    active: list[tuple[str, SubscriptionSpec]],
    composer: EmailComposer | None,
    tell_people: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """The deliveries of one event: its subscriptions', and the emails its people get of their own."""
    rows = []
    for subscription_id, spec in active:
        if not spec.wants(event.type, handoff):
            continue
        target = spec.target
        if target.type == "email":
            if composer is None:  # email was switched off after the subscription was made
                continue
            person = Person(id=spec.name, name=spec.name, email=target.address)
            body = composer.body(event, handoff, Recipient(person, "subscriber"), now)
            rows.append(
                _row(event, subscription_id, body, now, subscription_id=subscription_id, channel="email",
                     recipient=target.address)
            )  # fmt: skip
        else:
            rows.append(
                _row(event, subscription_id, body_for(spec, event), now, subscription_id=subscription_id,
                     channel=target.type, recipient=None)
            )  # fmt: skip
    if composer is not None and tell_people:
        for recipient in recipients(event.type, handoff):
            address = recipient.person.email
            body = composer.body(event, handoff, recipient, now)
            rows.append(
                _row(event, f"email:{address.lower()}", body, now, subscription_id=None,  # type: ignore[union-attr]
                     channel="email", recipient=address)
            )  # fmt: skip
    return rows


async def plan_deliveries(
    events: list[Envelope],
    uow: DeliveryUnitOfWork,
    now: datetime,
    composer: EmailComposer | None = None,
    tell_people: bool = True,
) -> int:
    """Record a delivery for every new event and subscription that wants it, and (with a composer: email is on)
    an email for each person the event concerns; return how many."""
    async with uow:
        fresh = await uow.inbox.claim_many(events)
        if not fresh:
            return 0
        told = {event.id: facts_of(event) for event in fresh}
        qualified = {told[e.id][0]: told[e.id][1] for e in fresh if isinstance(e.data, LeadQualified)}
        await uow.handoffs.remember(
            qualified, {told[e.id][0]: e.data.lead_id for e in fresh if isinstance(e.data, LeadQualified)}
        )
        # a later event names its handoff: match it as its LeadQualified described it, when one was seen
        unknown = {handoff_id for handoff_id, _ in told.values()} - qualified.keys()
        known = qualified | (await uow.handoffs.facts(unknown) if unknown else {})
        active = await uow.subscriptions.all()
        rows: list[dict[str, Any]] = []
        for event in fresh:
            handoff_id, own = told[event.id]
            rows += _planned(event, known.get(handoff_id, own), active, composer, tell_people, now)
        await uow.deliveries.add(rows)
        await uow.commit()
        return len(rows)


async def forget_lead(event: Envelope, uow: DeliveryUnitOfWork, now: datetime) -> None:
    """An erased lead's deliveries keep no body (it holds the lead's personal data), and those not yet made
    are not made."""
    async with uow:
        if await uow.inbox.claim(event):
            await uow.deliveries.erase(event.data.lead_id, now)  # type: ignore[attr-defined]
            await uow.handoffs.forget_lead(event.data.lead_id)  # type: ignore[attr-defined]
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
