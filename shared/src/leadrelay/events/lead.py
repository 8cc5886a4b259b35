"""Events about a lead as captured: LeadCaptured, LeadActivity, LeadErased."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from leadrelay.events.base import EventData, Part

LeadSource = Literal["web_form", "chat", "api", "event", "email_click", "social", "referral", "import"]
Completeness = Literal["partial", "complete"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-1000", "1000+"]
# The buckets' lower bounds, largest first: a head count falls in the first one it reaches.
SIZE_FLOORS: tuple[tuple[int, CompanySize], ...] = (
    (1001, "1000+"),
    (201, "201-1000"),
    (51, "51-200"),
    (11, "11-50"),
    (0, "1-10"),
)


def size_bucket(employees: int) -> CompanySize:
    """Return the head-count bucket of a number of employees."""
    return next(bucket for floor, bucket in SIZE_FLOORS if employees >= floor)


class Contact(Part):
    """How to reach the person behind the lead."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None


class Company(Part):
    """Firmographics of the lead's company."""

    size: CompanySize | None = Field(
        default=None, description="head-count bucket, given or derived from employees"
    )
    employees: int | None = Field(default=None, ge=0, description="head count, when the lead gave a number")
    industry: str | None = None
    country: str | None = None


class Consent(Part):
    """What the person agreed to, and under which policy."""

    marketing: bool = False
    purposes: list[str] = Field(default_factory=list)
    policy_version: str | None = None
    form_id: str | None = None
    captured_at: datetime | None = None


class LeadSnapshot(Part):
    """The lead's contact and company as captured, carried downstream for handoff."""

    contact: Contact = Field(default_factory=Contact)
    company: Company = Field(default_factory=Company)
    message: str | None = None
    marketing_consent: bool | None = Field(
        default=None, description="whether the person agrees to marketing now (an opt-out makes it false)"
    )


class LeadCaptured(EventData):
    """A lead was accepted by capture (new, or merged into an existing one)."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.captured.v1"

    lead_id: str
    is_new: bool = True
    source: LeadSource
    form_id: str | None = None
    completeness: Completeness
    contact: Contact
    company: Company = Field(default_factory=Company)
    message: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    consent: Consent = Field(default_factory=Consent)
    question_asked: bool = False
    disposable_email: bool = False


class LeadActivity(EventData):
    """A known lead engaged again (page view, email click, webinar, ...)."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.activity.v1"

    lead_id: str
    kind: str
    at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)


class ConsentChanged(EventData):
    """A person's marketing consent changed: withdrawn by an opt-out, or given (again) through a confirmed channel.

    Every service that keeps consent applies it. Carries no personal data."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.consent-changed.v1"

    lead_id: str
    marketing: bool
    purposes: list[str] = Field(default_factory=list, description="what the person agrees to now")
    channel: Literal["opt_out", "backend", "form", "double_opt_in"] = Field(
        description="how the change reached capture"
    )
    at: datetime


class LeadErased(EventData):
    """A lead was erased on request; every copy must be removed. Carries no personal data."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.lead.erased.v1"

    lead_id: str
