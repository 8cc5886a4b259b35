"""How each event moves a lead along its journey, and which reasons it records. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadrelay.events.handoff import HandoffBreached, HandoffRejected, LeadContacted, LeadQualified
from leadrelay.events.lead import LeadCaptured
from leadrelay.events.scoring import LeadOutcome, LeadScored


@dataclass(frozen=True)
class TimelineChange:
    """Columns to set on the lead's journey: `first` ones only when still empty, `latest` ones always."""

    first: dict[str, Any] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)
    reason: tuple[str, str] | None = None  # (kind, reason) to count


def combined(changes: list[TimelineChange]) -> TimelineChange:
    """One change with the effect of applying changes in order: a `first` value replaces an empty one (None
    or ''), a `latest` value always replaces (reasons are counted separately)."""
    first: dict[str, Any] = {}
    latest: dict[str, Any] = {}
    for change in changes:
        for name, value in change.first.items():
            if first.get(name) in (None, ""):
                first[name] = value
        latest.update(change.latest)
    return TimelineChange(first=first, latest=latest)


def reason_text(reason: str | None) -> str:
    """Fold a free-text reason into a bounded label (lower case, 100 characters, 'unspecified' when empty)."""
    text = " ".join((reason or "").lower().split())[:100]
    return text or "unspecified"


def timeline_change(data: Any, at: datetime) -> TimelineChange | None:
    """Return what an event changes on its lead's journey, or None."""
    match data:
        case LeadCaptured():
            return TimelineChange(
                first={
                    "captured_at": at,
                    "source": data.source,
                    "campaign": (data.utm.get("campaign") or "")[:100],
                    "form": (data.form_id or "")[:100],
                }
            )
        case LeadScored() if data.stage == "sql":
            return TimelineChange(first={"mql_at": at, "sql_at": at})
        case LeadScored() if data.stage == "mql":
            return TimelineChange(first={"mql_at": at})
        case LeadQualified() if data.attempt == 1:
            return TimelineChange(first={"handed_off_at": at, "queue": data.queue, "owner": data.owner.id})
        case LeadContacted():
            return TimelineChange(first={"contacted_at": data.at})
        case HandoffBreached():
            return TimelineChange(first={"breached_at": data.breached_at})
        case HandoffRejected():
            return TimelineChange(
                first={"rejected_at": data.at}, reason=("rejected", reason_text(data.reason))
            )
        case LeadOutcome():
            kept = ("lost", reason_text(data.reason)) if data.outcome in ("lost", "disqualified") else None
            return TimelineChange(
                latest={"outcome": data.outcome, "outcome_at": data.at, "value": data.value}, reason=kept
            )
    return None


def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole rounded to 4 places, or None when whole is 0 or unknown."""
    if part is None or not whole:
        return None
    return round(float(part) / float(whole), 4)


def feed_item(data: Any) -> tuple[str, dict[str, Any]] | None:
    """Return (kind, detail) for the live feed: handoffs and breaches, without any lead data."""
    match data:
        case LeadQualified():
            detail = {
                "queue": data.queue,
                "owner": data.owner.id,
                "grade": data.grade,
                "attempt": data.attempt,
            }
            kind = "requalified" if data.requalified else "handoff" if data.attempt == 1 else "reassigned"
            return kind, detail
        case HandoffBreached():
            detail = {
                "queue": data.queue,
                "owner": data.owner_id,
                "overdue_seconds": round(data.overdue_seconds, 1),
            }
            return "breach", detail
    return None
