"""How each event counts in the funnel, with bounded dimensions (never a lead id or an email)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadrelay.events.handoff import HandoffBreached, LeadContacted, LeadQualified
from leadrelay.events.lead import ConsentChanged, LeadActivity, LeadCaptured, LeadErased
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.metrics.domain.report import FunnelCount


@dataclass(frozen=True)
class FunnelEntry:
    """One count to add: the funnel step and its dimensions ('' when not known)."""

    step: str
    stage: str = ""
    source: str = ""
    queue: str = ""


def funnel_entry(data: Any, known_source: str | None) -> FunnelEntry | None:
    """Return what an event adds to the funnel, or None when it counts nothing."""
    source = known_source or ""
    match data:
        case LeadCaptured():
            return FunnelEntry("captured" if data.is_new else "merged", source=data.source)
        case LeadScored():
            return FunnelEntry("scored", stage=data.stage, source=data.source or source)
        case LeadQualified():
            # a lead is handed off once; later attempts are escalations of that handoff, or a return to sales
            # after a rejection or a loss
            step = "requalified" if data.requalified else "handed_off" if data.attempt == 1 else "reassigned"
            return FunnelEntry(step, stage=data.stage, source=data.source or source, queue=data.queue)
        case LeadContacted():
            return FunnelEntry("contacted", source=source)
        case HandoffBreached():
            return FunnelEntry("breached", source=source, queue=data.queue)
        case LeadOutcome():
            return FunnelEntry(data.outcome, source=source)
        case LeadActivity():
            return FunnelEntry("activity", source=source)
        case LeadErased():
            return FunnelEntry("erased")
        case ConsentChanged():
            return FunnelEntry(
                "marketing_consented" if data.marketing else "marketing_opted_out", source=source
            )
    return None


def summarise(rows: list[FunnelCount]) -> dict[str, int]:
    """Fold count rows into funnel totals: each step, plus scored leads per stage."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.step] = totals.get(row.step, 0) + row.count
        if row.step == "scored" and row.stage:
            totals[row.stage] = totals.get(row.stage, 0) + row.count
    return totals
