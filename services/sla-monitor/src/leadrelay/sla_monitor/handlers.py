"""The SLA monitor's handlers: start clocks, record contact, breach what is due."""

from __future__ import annotations

from datetime import datetime

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import HandoffBreached, LeadContacted, LeadQualified
from leadrelay.sla_monitor.adapters.uow import SlaUnitOfWork
from leadrelay.sla_monitor.domain.clock import breach_event_id, overdue_seconds, state_after_contact

SOURCE = "leadrelay/sla-monitor"


class UnknownHandoff(LookupError):
    """No handoff with this id is known."""


async def start_clock(event: Envelope, uow: SlaUnitOfWork, now: datetime) -> None:
    """Start the follow-up clock of a handoff (once)."""
    data: LeadQualified = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.handoffs.start(
            handoff_id=data.handoff_id,
            lead_id=data.lead_id,
            owner_id=data.owner.id,
            queue=data.queue,
            attempt=data.attempt,
            grade=data.grade,
            policy=data.sla.policy,
            due_at=data.sla.due_at,
            handed_off_at=event.time,
        )
        await uow.commit()


async def contact_reported(event: Envelope, uow: SlaUnitOfWork) -> None:
    """Stop a clock on LeadContacted from a sales tool (idempotent, order-tolerant)."""
    data: LeadContacted = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        handoff = await uow.handoffs.get(data.handoff_id, lock=True)
        if handoff is None:
            await uow.handoffs.contacted_before_handoff(
                data.handoff_id, data.lead_id, data.owner_id, data.at, data.channel
            )
        else:
            await uow.handoffs.record_contact(
                data.handoff_id, state_after_contact(handoff["state"]), data.at, data.channel
            )
        await uow.commit()


async def report_contact(
    handoff_id: str, channel: str, at: datetime, uow: SlaUnitOfWork, topics: Topics
) -> dict[str, object]:
    """Record first contact reported over HTTP and publish LeadContacted; return the handoff."""
    async with uow:
        handoff = await uow.handoffs.get(handoff_id, lock=True)
        if handoff is None:
            raise UnknownHandoff(handoff_id)
        if handoff["contacted_at"] is None:
            await uow.handoffs.record_contact(handoff_id, state_after_contact(handoff["state"]), at, channel)
            contacted = LeadContacted(
                handoff_id=handoff_id,
                lead_id=handoff["lead_id"],
                owner_id=handoff["owner_id"],
                channel=channel,
                at=at,
            )
            uow.outbox.add(new_event(contacted, source=SOURCE, subject=handoff["lead_id"]), topics.contacted)
        await uow.commit()
        return await _reload(uow, handoff_id)


async def _reload(uow: SlaUnitOfWork, handoff_id: str) -> dict[str, object]:
    return await uow.handoffs.get(handoff_id) or {}


async def breach_due_handoffs(uow: SlaUnitOfWork, topics: Topics, limit: int) -> int:
    """Breach every open clock whose deadline passed (database time); return how many."""
    async with uow:
        due = await uow.handoffs.claim_due(limit)
        if not due:
            return 0
        await uow.handoffs.mark_breached([row["handoff_id"] for row in due])
        for row in due:
            breached_at: datetime = row["db_now"]
            breached = HandoffBreached(
                handoff_id=row["handoff_id"],
                lead_id=row["lead_id"],
                owner_id=row["owner_id"] or "",
                queue=row["queue"] or "",
                due_at=row["due_at"],
                breached_at=breached_at,
                overdue_seconds=overdue_seconds(row["due_at"], breached_at),
                attempt=row["attempt"],
            )
            envelope = new_event(
                breached,
                source=SOURCE,
                subject=row["lead_id"],
                event_id=breach_event_id(row["handoff_id"], row["attempt"]),
                time=breached_at,
            )
            uow.outbox.add(envelope, topics.sla_breached)
        await uow.commit()
        return len(due)
