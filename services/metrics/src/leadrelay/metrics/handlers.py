"""The metrics service's event handler."""

from __future__ import annotations

from leadrelay.events import Envelope
from leadrelay.events.lead import LeadCaptured, LeadErased
from leadrelay.metrics.adapters.uow import MetricsUnitOfWork
from leadrelay.metrics.domain.funnel import funnel_entry
from leadrelay.metrics.domain.timeline import feed_item, timeline_change


async def count_event(event: Envelope, uow: MetricsUnitOfWork) -> None:
    """Fold one event into the funnel counts and its lead's journey, once per event id."""
    data = event.data
    lead_id = getattr(data, "lead_id", None)
    async with uow:
        if not await uow.inbox.claim(event):
            return
        if isinstance(data, LeadCaptured):
            await uow.sources.remember(data.lead_id, data.source)
        known_source = await uow.sources.source_of(lead_id) if lead_id else None
        entry = funnel_entry(data, known_source)
        if entry is not None:
            await uow.funnel.add(event.time.date(), entry)
        change = timeline_change(data, event.time)
        if change is not None and lead_id:
            await uow.timeline.apply(lead_id, change)
            if change.reason is not None:
                await uow.reasons.add(event.time.date(), *change.reason)
        item = feed_item(data)
        if item is not None:
            await uow.feed.add(event.id, event.time, *item)
        if isinstance(data, LeadErased):
            await uow.sources.forget(data.lead_id)
            await uow.timeline.forget(data.lead_id)
        await uow.commit()
