"""Request and response bodies of capture's API; validation normalises as it checks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import structlog
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from leadrelay.capture.domain.lead import NewLead
from leadrelay.capture.domain.normalise import (
    InvalidValue,
    is_disposable,
    normalise_company_size,
    normalise_country,
    normalise_email,
    normalise_phone,
)
from leadrelay.capture.domain.text import clean_json, clean_text
from leadrelay.events.lead import size_bucket

Text200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(clean_text)
]
UtmKey = Literal["source", "medium", "campaign", "term", "content"]
Source = Literal["web_form", "chat", "api", "event", "email_click", "social", "referral", "import"]
Purpose = Literal["contact", "marketing", "newsletter", "product_updates", "events"]

log = structlog.get_logger(__name__)


def purposes_of(given: tuple[str, ...], marketing: bool) -> tuple[str, ...]:
    """Return the consent purposes to store: contact (they asked to be contacted), then what was given."""
    wanted = ["contact", *given, *(["marketing"] if marketing else [])]
    return tuple(dict.fromkeys(wanted))


class ConsentIn(BaseModel):
    """What the person agreed to."""

    model_config = ConfigDict(extra="forbid")

    marketing: bool = False
    purposes: list[Purpose] = Field(
        default_factory=list, max_length=5, description="what the person agreed to; contact is always implied"
    )
    policy_version: Annotated[str, StringConstraints(max_length=50), AfterValidator(clean_text)] | None = None


class LeadFields(BaseModel):
    """A person's details, validated and normalised (email, country, phone in E.164)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(
        max_length=320,
        description="required; lower-cased, IDN-aware",
        json_schema_extra={"format": "email", "examples": ["ann@example.com"]},
    )
    name: Text200 | None = None
    company: Text200 | None = None
    title: Text200 | None = None
    company_size: int | str | None = Field(
        default=None,
        description="a head count (850) or a size bucket; stored as given, with its bucket",
        json_schema_extra={"examples": [850, "51-200"]},
    )
    industry: Annotated[str, StringConstraints(max_length=100), AfterValidator(clean_text)] | None = None
    country: Annotated[str, StringConstraints(max_length=60), AfterValidator(clean_text)] | None = Field(
        default=None,
        description="ISO 3166 code or English name; stored as alpha-2",
        json_schema_extra={"examples": ["DE", "United Kingdom"]},
    )
    phone: Annotated[str, StringConstraints(max_length=40), AfterValidator(clean_text)] | None = Field(
        default=None, description="stored in E.164; national numbers are read in the lead's country"
    )
    message: Annotated[str, StringConstraints(max_length=5000), AfterValidator(clean_text)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return normalise_email(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("company_size", mode="before")
    @classmethod
    def _company_size(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 40:
            raise ValueError("expected a head count (such as 850) or a size bucket such as 51-200")
        try:
            bucket, employees = normalise_company_size(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc
        return employees if employees is not None else bucket

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        try:
            return normalise_country(value) if value else None
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        try:
            return normalise_phone(value, info.data.get("country"))
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc

    def to_domain(
        self,
        *,
        source: str,
        form_id: str | None,
        utm: dict[str, str],
        consent_marketing: bool,
        consent_policy_version: str | None,
        consent_purposes: tuple[str, ...] = (),
    ) -> NewLead:
        """Return the domain's view of these fields."""
        return NewLead(
            email=self.email,
            source=source,
            name=self.name,
            phone=self.phone,
            company=self.company,
            title=self.title,
            company_size=size_bucket(self.company_size)
            if isinstance(self.company_size, int)
            else self.company_size,
            employees=self.company_size if isinstance(self.company_size, int) else None,
            industry=self.industry,
            country=self.country,
            message=self.message,
            form_id=form_id,
            utm=utm,
            consent_marketing=consent_marketing,
            consent_policy_version=consent_policy_version,
            consent_purposes=purposes_of(consent_purposes, consent_marketing),
            disposable_email=is_disposable(self.email),
        )


class LeadIn(LeadFields):
    """A lead posted as JSON by a backend (API key) or a browser (a form's public key)."""

    source: Source = "api"
    form_id: Annotated[str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    utm: dict[UtmKey, Annotated[str, StringConstraints(max_length=200), AfterValidator(clean_text)]] = Field(
        default_factory=dict
    )
    consent: ConsentIn = Field(default_factory=ConsentIn)
    update_existing: bool = Field(
        default=False,
        description="backends only: when the person is known, these values replace the stored ones (and "
        "marketing consent counts even after an opt-out, as the backend asserts it was confirmed); otherwise "
        "they only fill gaps and a differing value is kept as a proposed change",
    )

    def to_new_lead(self, form_id: str | None = None, source: str | None = None) -> NewLead:
        """Return the domain's view of this request."""
        return self.to_domain(
            source=source or self.source,
            form_id=form_id or self.form_id,
            utm={str(k): v for k, v in self.utm.items()},
            consent_marketing=self.consent.marketing or "marketing" in self.consent.purposes,
            consent_policy_version=self.consent.policy_version,
            consent_purposes=tuple(self.consent.purposes),
        )


class LeadAccepted(BaseModel):
    """For a backend: the surviving lead's id, and whether this request created it."""

    lead_id: str
    is_new: bool


class Receipt(BaseModel):
    """For a browser: proof the submission was stored, saying nothing about leads that already exist."""

    status: Literal["accepted"] = "accepted"
    receipt: str = Field(description="an opaque id of this submission, for support requests")

    @classmethod
    def issue(cls, lead_id: str | None) -> Receipt:
        """Return a fresh receipt, logged with the lead it went to (None for a bot's post) for support."""
        receipt = cls(receipt=uuid.uuid4().hex)
        log.info("receipt_issued", receipt=receipt.receipt, lead_id=lead_id)
        return receipt


class ActivityIn(BaseModel):
    """One engagement event of a known lead."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[
        "page_view",
        "email_click",
        "email_open",
        "content_download",
        "webinar",
        "chat_message",
        "demo_request",
        "pricing_view",
        "event_visit",
    ]
    at: AwareDatetime | None = Field(default=None, description="ISO 8601 with an offset; now if absent")
    properties: Annotated[
        dict[Annotated[str, StringConstraints(max_length=50), AfterValidator(clean_text)], Any],
        AfterValidator(clean_json),
    ] = Field(default_factory=dict, max_length=20)


class ActivityAccepted(BaseModel):
    """The recorded activity."""

    activity_id: str
    lead_id: str
