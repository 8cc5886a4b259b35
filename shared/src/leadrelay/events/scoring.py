"""Events about a lead's quality: LeadScored, LeadOutcome."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from leadrelay.events.base import EventData, Part
from leadrelay.events.lead import LeadSnapshot

Stage = Literal["nurture", "mql", "sql", "disqualified"]


class Reason(Part):
    """One contribution to a score, readable by a sales rep."""

    factor: str
    points: float | None = None
    weight: float | None = None
    text: str | None = None


class ChecklistItem(Part):
    """One item of a qualification framework, met or not, with the evidence."""

    name: str
    met: bool
    evidence: str | None = None


class Checklist(Part):
    """A qualification framework's checklist (BANT, CHAMP, MEDDIC, GPCTBA/C&I) over what the lead supplied."""

    framework: str
    met: int
    total: int
    criteria: list[ChecklistItem] = Field(default_factory=list)


class LeadScored(EventData):
    """A lead was scored and given a stage, with the reasons."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.scored.v1"

    lead_id: str
    score: int = Field(ge=0, le=100)
    fit: int
    engagement: int
    probability: float | None = Field(default=None, ge=0, le=1)
    grade: str
    stage: Stage
    previous_stage: Stage | None = None
    reasons: list[Reason] = Field(default_factory=list)
    qualification: list[Checklist] = Field(default_factory=list)
    ruleset_version: str
    model_version: str | None = None
    source: str | None = None
    lead: LeadSnapshot = Field(default_factory=LeadSnapshot)
    captured_at: datetime | None = Field(default=None, description="when capture first accepted the lead")


class LeadOutcome(EventData):
    """The CRM reports how a lead ended."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.outcome.v1"

    lead_id: str
    outcome: Literal["won", "lost", "disqualified"]
    reason: str | None = None
    value: float | None = None
    at: datetime
