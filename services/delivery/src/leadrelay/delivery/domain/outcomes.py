"""Outcomes a CRM reports over HTTP: won, lost (with its reason) or disqualified, each under the CRM's own id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from leadrelay.delivery.domain.subscriptions import IDENTIFIER

MAX_BATCH = 1000
# A CRM's clock may run a little ahead of ours; an outcome further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


class ReportedOutcome(BaseModel):
    """How one lead ended, as the CRM records it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="the CRM's own id of this outcome (an opportunity's, a deal's): one sent again is taken once",
    )
    lead_id: str = Field(max_length=36, pattern=IDENTIFIER)
    outcome: Literal["won", "lost", "disqualified"]
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    value: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)
    at: AwareDatetime

    @model_validator(mode="after")
    def _lost_says_why(self) -> ReportedOutcome:
        if self.outcome == "lost" and not self.reason:
            raise ValueError("a lost lead needs its reason (lost-lead reasons are a KPI)")
        return self

    @field_validator("at")
    @classmethod
    def _not_in_the_future(cls, at: datetime) -> datetime:
        if at > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("is in the future")
        return at


class OutcomeBatch(BaseModel):
    """Up to 1,000 outcomes in one request, each id once."""

    model_config = ConfigDict(extra="forbid")

    outcomes: list[ReportedOutcome] = Field(min_length=1, max_length=MAX_BATCH)

    @field_validator("outcomes")
    @classmethod
    def _ids_once(cls, outcomes: list[ReportedOutcome]) -> list[ReportedOutcome]:
        seen: set[str] = set()
        for outcome in outcomes:
            if outcome.id in seen:
                raise ValueError(f"the id {outcome.id!r} is in the batch twice")
            seen.add(outcome.id)
        return outcomes
