"""What a subscription asks for: a target, the event types it wants and filters on the handoff they concern."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, field_validator, model_validator

from leadrelay.events.handoff import HandoffAtRisk, HandoffBreached, HandoffRejected, LeadQualified

# The events a subscription may ask for: a handoff (a reassignment is a handoff with attempt > 1), and what
# happens to it before first contact.
DELIVERABLE = (
    LeadQualified.EVENT_TYPE,
    HandoffAtRisk.EVENT_TYPE,
    HandoffBreached.EVENT_TYPE,
    HandoffRejected.EVENT_TYPE,
)


# Queue names, rep ids and grades as the routing configuration and scoring write them.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:@+-]*$"


class Target(BaseModel):
    """Where deliveries go: a webhook or Slack-compatible incoming-webhook URL, or an email address."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook", "email", "slack"]
    url: HttpUrl | None = None
    address: EmailStr | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> Target:
        wanted = "address" if self.type == "email" else "url"
        if getattr(self, wanted) is None:
            raise ValueError(f"a {self.type} target needs {wanted!r}")
        unwanted = "url" if wanted == "address" else "address"
        if getattr(self, unwanted) is not None:
            raise ValueError(f"a {self.type} target takes {wanted!r}, not {unwanted!r}")
        return self


class Filters(BaseModel):
    """Only handoffs in this queue, of this owner, of this grade (each optional; all given must hold)."""

    model_config = ConfigDict(extra="forbid")

    queue: str | None = Field(default=None, max_length=63, pattern=IDENTIFIER)
    owner: str | None = Field(default=None, max_length=100, pattern=IDENTIFIER)
    grade: str | None = Field(default=None, max_length=10, pattern=IDENTIFIER)


class Person(BaseModel):
    """Someone a handoff's emails go to: its owner or their manager, as routing's configuration describes them."""

    id: str
    name: str
    email: str | None = None
    timezone: str | None = None


class HandoffFacts(BaseModel):
    """The handoff an event concerns, as its LeadQualified described it: what filters match and whom to tell."""

    queue: str
    owner_id: str
    grade: str | None = None
    owner: Person | None = None
    manager: Person | None = None
    lead_name: str | None = None  # who the rep is to contact, named in later emails (blanked on erasure)
    lead_company: str | None = None


class SubscriptionSpec(BaseModel):
    """A subscription as an admin writes it (POST /v1/subscriptions or the YAML seed)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    target: Target
    events: list[str] = Field(min_length=1, max_length=len(DELIVERABLE))
    filters: Filters = Field(default_factory=Filters)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = [e for e in events if e not in DELIVERABLE]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a deliverable event type; one of {', '.join(DELIVERABLE)}"
            )
        if len(set(events)) != len(events):
            raise ValueError("an event type is listed twice")
        return events

    def wants(self, event_type: str, handoff: HandoffFacts) -> bool:
        """Whether an event of this type about this handoff goes to this subscription."""
        f = self.filters
        return (
            event_type in self.events
            and (f.queue is None or f.queue == handoff.queue)
            and (f.owner is None or f.owner == handoff.owner_id)
            and (f.grade is None or f.grade == handoff.grade)
        )
