"""When a lead handed off before may go to sales again: its latest handoff was rejected or closed as lost, the
cool-down has passed, and the rejection's reason does not bar it for longer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from leadrelay.routing.domain.handoff import Handoff

# A closed handoff's reason when an outcome closed it (routing writes `outcome: <outcome>`).
LOST_OUTCOMES = ("outcome: lost", "outcome: disqualified")


class BarredReason(BaseModel):
    """Rejections whose reason contains this text (any case) bar the lead from sales for so many days."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=100)
    days: float = Field(gt=0, le=3650)


class Requalification(BaseModel):
    """How a rejected or lost lead that qualifies again comes back to sales."""

    model_config = ConfigDict(extra="forbid")

    cool_down_hours: float = Field(default=72.0, ge=0, le=24 * 3650)
    barred: list[BarredReason] = Field(
        default_factory=lambda: [
            BarredReason(reason="wrong person", days=365),
            BarredReason(reason="not interested", days=90),
        ]
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the lead is handed off again now, and why (for the decision trace)."""

    again: bool
    why: str
    until: datetime | None = None


def requalification(latest: Handoff, rules: Requalification, now: datetime) -> Verdict:
    """Whether a lead whose latest handoff is `latest` goes to sales again now that it qualified again."""
    lost = latest.state == "closed" and (latest.reason or "") in LOST_OUTCOMES
    if latest.state != "rejected" and not lost:
        return Verdict(False, f"already handed off to {latest.owner_id} in {latest.queue}")
    closed_at = latest.closed_at or latest.assigned_at
    said = (latest.reason or "").lower()
    if latest.state == "rejected":
        for barred in rules.barred:
            until = closed_at + timedelta(days=barred.days)
            if barred.reason.lower() in said and now < until:
                return Verdict(
                    False,
                    f"rejected by {latest.owner_id} as {latest.reason!r}: barred until {until:%Y-%m-%d}",
                    until,
                )
    until = closed_at + timedelta(hours=rules.cool_down_hours)
    if now < until:
        return Verdict(
            False, f"{latest.state} by {latest.owner_id}: cooling down until {until.isoformat()}", until
        )
    return Verdict(
        True, f"qualified again after its handoff to {latest.owner_id} was {latest.state} ({latest.reason})"
    )
