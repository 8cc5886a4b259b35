"""Capture's HTTP API: translates requests into handler calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from leadrelay.capture.adapters.uow import CaptureUnitOfWork
from leadrelay.capture.domain.lead import NewLead
from leadrelay.capture.handlers import capture_lead

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
UtmKey = Literal["source", "medium", "campaign", "term", "content"]
Source = Literal["web_form", "chat", "api", "event", "email_click", "social", "referral", "import"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-1000", "1000+"]


class ConsentIn(BaseModel):
    """What the person agreed to."""

    model_config = ConfigDict(extra="forbid")

    marketing: bool = False
    policy_version: Annotated[str, StringConstraints(max_length=50)] | None = None


class LeadIn(BaseModel):
    """A lead posted by a backend or a browser."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=320)
    name: Text200 | None = None
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^\+?[0-9 ()./-]{4,40}$")] | None = None
    company: Text200 | None = None
    title: Text200 | None = None
    company_size: CompanySize | None = None
    industry: Annotated[str, StringConstraints(max_length=100)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code"
    )
    message: Annotated[str, StringConstraints(max_length=5000)] | None = None
    source: Source = "api"
    form_id: Annotated[str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    utm: dict[UtmKey, Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=dict)
    consent: ConsentIn = Field(default_factory=ConsentIn)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()

    @field_validator("country")
    @classmethod
    def _upper_country(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    def to_domain(self) -> NewLead:
        """Return the domain's view of this request."""
        return NewLead(
            email=self.email,
            source=self.source,
            name=self.name,
            phone=self.phone,
            company=self.company,
            title=self.title,
            company_size=self.company_size,
            industry=self.industry,
            country=self.country,
            message=self.message,
            form_id=self.form_id,
            utm={str(k): v for k, v in self.utm.items()},
            consent_marketing=self.consent.marketing,
            consent_policy_version=self.consent.policy_version,
        )


class LeadAccepted(BaseModel):
    """The id of the accepted lead."""

    lead_id: str


router = APIRouter(prefix="/v1", tags=["leads"])


@router.post("/leads", status_code=202, response_model=LeadAccepted)
async def post_lead(body: LeadIn, request: Request) -> LeadAccepted:
    """Accept a lead; it is stored before the answer, and published to leads.captured after."""
    runtime = request.app.state.runtime
    lead_id = await capture_lead(
        body.to_domain(), CaptureUnitOfWork(runtime.sessions), runtime.topics, datetime.now(UTC)
    )
    return LeadAccepted(lead_id=lead_id)
