"""Events about handing a lead to sales: LeadQualified, LeadContacted, HandoffBreached."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from leadrelay.events.base import EventData, Part
from leadrelay.events.lead import LeadSnapshot
from leadrelay.events.scoring import Reason, Stage


class Owner(Part):
    """The sales rep who owns a handoff."""

    id: str
    name: str
    email: str | None = None
    timezone: str | None = Field(default=None, description="IANA name: where the rep reads deadlines")


class SlaTerms(Part):
    """The follow-up commitment that comes with a handoff."""

    policy: str
    due_at: datetime | None = Field(
        description="by the SLA monitor's policies (their fallback when the queue names one they lack); null "
        "only until routing has received any policies, the clock's deadline then shows in the SLA monitor"
    )


class DecisionRef(Part):
    """Where to find why routing decided as it did."""

    trace_id: str
    rule: str | None = None
    strategy: str


class LeadQualified(EventData):
    """A sales-ready lead was handed to a rep: the handoff."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.qualified.v1"

    handoff_id: str
    lead_id: str
    attempt: int = Field(default=1, ge=1)
    queue: str
    owner: Owner
    manager: Owner | None = Field(
        default=None, description="the queue's manager, told when the handoff is late"
    )
    score: int
    grade: str
    stage: Stage
    reasons: list[Reason] = Field(default_factory=list)
    lead: LeadSnapshot = Field(default_factory=LeadSnapshot)
    sla: SlaTerms
    decision: DecisionRef
    source: str | None = None
    captured_at: datetime | None = Field(default=None, description="when capture first accepted the lead")
    requalified: bool = Field(
        default=False,
        description="handed off again after an earlier handoff was rejected or lost, once it qualified again "
        "and its cool-down passed (its attempt goes on from the earlier one's)",
    )


class LeadContacted(EventData):
    """Sales reports first contact with the lead of a handoff."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.contacted.v1"

    handoff_id: str
    lead_id: str
    owner_id: str | None = None
    channel: str = "unknown"
    at: datetime


class HandoffBreached(EventData):
    """A handoff's first-contact deadline passed without contact."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.handoff.breached.v1"

    handoff_id: str
    lead_id: str
    owner_id: str
    queue: str
    due_at: datetime
    breached_at: datetime
    overdue_seconds: float
    attempt: int = 1


class HandoffRejected(EventData):
    """Sales turned a handoff down: the lead returns to nurture, and marketing learns why."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.handoff.rejected.v1"

    handoff_id: str
    lead_id: str
    owner_id: str
    queue: str
    attempt: int = 1
    reason: str = Field(min_length=1, max_length=500)
    at: datetime


class HandoffAtRisk(EventData):
    """A handoff's first-contact deadline is near (the policy's warning fraction has passed) without contact."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.handoff.at-risk.v1"

    handoff_id: str
    lead_id: str
    owner_id: str
    queue: str
    attempt: int = 1
    due_at: datetime
    warned_at: datetime
