"""The metrics service's event handler."""

from __future__ import annotations

from collections import Counter
from datetime import date

from leadrelay.events import Envelope
from leadrelay.events.lead import LeadCaptured, LeadErased
from leadrelay.metrics.domain.funnel import FunnelEntry, funnel_entry
from leadrelay.metrics.domain.report import FeedEntry
from leadrelay.metrics.domain.timeline import TimelineChange, combined, feed_item, timeline_change
from leadrelay.metrics.ports import MetricsUnitOfWork


async def count_events(events: list[Envelope], uow: MetricsUnitOfWork) -> None:
    """Fold events into the funnel counts and their leads' journeys, once per event id, in one transaction."""
    async with uow:
        claimed = await uow.inbox.claim_many(events)
        await uow.sources.remember_many(
            {e.data.lead_id: e.data.source for e in claimed if isinstance(e.data, LeadCaptured)}
        )
        sources = await uow.sources.sources_of({lead for e in claimed if (lead := _lead_of(e))})
        funnel: Counter[tuple[date, FunnelEntry]] = Counter()
        reasons: Counter[tuple[date, str, str]] = Counter()
        feed: list[FeedEntry] = []
        journeys: dict[str, list[TimelineChange]] = {}  # per lead, in order
        for event in claimed:
            data, lead_id = event.data, _lead_of(event)
            entry = funnel_entry(data, sources.get(lead_id) if lead_id else None)
            if entry is not None:
                funnel[(event.time.date(), entry)] += 1
            change = timeline_change(data, event.time)
            if change is not None and lead_id:
                journeys.setdefault(lead_id, []).append(change)
                if change.reason is not None:
                    reasons[(event.time.date(), *change.reason)] += 1
            item = feed_item(data)
            if item is not None:
                feed.append(FeedEntry(event.id, event.time, *item))
            if isinstance(data, LeadErased):
                await uow.sources.forget(data.lead_id)
                await uow.timeline.forget(data.lead_id)
                sources.pop(data.lead_id, None)
                journeys.pop(data.lead_id, None)
        await uow.timeline.apply_many({lead: combined(changes) for lead, changes in journeys.items()})
        await uow.funnel.add_counts(funnel)
        await uow.reasons.add_counts(reasons)
        await uow.feed.add_many(feed)
        await uow.commit()


def _lead_of(event: Envelope) -> str | None:
    return getattr(event.data, "lead_id", None)
