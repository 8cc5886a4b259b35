"""What capture decides about a lead, as plain data and functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Completeness = Literal["partial", "complete"]

# A form is complete when the person told us who they are, where they work and how to call them.
COMPLETE_FIELDS = ("email", "name", "company", "phone")


@dataclass(frozen=True)
class NewLead:
    """A validated, normalised lead as it arrived."""

    email: str
    source: str
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    company_size: str | None = None  # the head-count bucket
    employees: int | None = None  # the head count, when the lead gave a number
    industry: str | None = None
    country: str | None = None
    message: str | None = None
    form_id: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    consent_marketing: bool = False
    consent_policy_version: str | None = None
    consent_purposes: tuple[str, ...] = ("contact",)
    disposable_email: bool = False


def completeness(lead: NewLead) -> Completeness:
    """Return 'complete' when every field sales needs to call is present."""
    return "complete" if all(getattr(lead, f) for f in COMPLETE_FIELDS) else "partial"


def asked_a_question(lead: NewLead) -> bool:
    """Return True when the person wrote a message: with a complete form, a sales signal."""
    return bool(lead.message and lead.message.strip())


def identity_of(lead: NewLead) -> str:
    """Return the key that makes two submissions the same person: the normalised email."""
    return f"email:{lead.email}"


@dataclass(frozen=True)
class CapturedLead:
    """A lead as stored: the input plus its identity and derived facts."""

    lead_id: str
    lead: NewLead
    completeness: Completeness
    captured_at: datetime
    is_new: bool = True


def capture(lead: NewLead, lead_id: str, now: datetime, is_new: bool = True) -> CapturedLead:
    """Decide the stored form of a lead; lead_id is the surviving lead when it merged into one."""
    return CapturedLead(
        lead_id=lead_id, lead=lead, completeness=completeness(lead), captured_at=now, is_new=is_new
    )
