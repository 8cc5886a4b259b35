"""Capture's command handlers and the shapes its intake answers with (storing leads: intake.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadrelay.capture.domain.lead import CapturedLead, asked_a_question
from leadrelay.capture.ports import CaptureUnitOfWork
from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.lead import Company, Consent, ConsentChanged, Contact, LeadActivity, LeadCaptured

SOURCE = "leadrelay/capture"


@dataclass(frozen=True)
class Idempotency:
    """A client's Idempotency-Key and a fingerprint of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Accepted:
    """The answer to a capture: which lead survived, and whether it is new."""

    lead_id: str
    is_new: bool
    status_code: int = 202
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was first used with a different request."""


def activity_event(
    activity_id: str, lead_id: str, kind: str, at: datetime, announced: dict[str, Any]
) -> Envelope:
    """The LeadActivity of a stored activity, under the activity's id (both write paths announce it so)."""
    event = LeadActivity(lead_id=lead_id, kind=kind, at=at, properties=announced)
    return new_event(event, source=SOURCE, subject=lead_id, event_id=activity_id)


async def record_activity(
    uow: CaptureUnitOfWork, topics: Topics, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
) -> str:
    """Store an activity and queue LeadActivity (inside the caller's transaction)."""
    activity_id = str(uuid.uuid4())
    await uow.intake.insert_activity(activity_id, lead_id, kind, at, properties)
    uow.outbox.add(activity_event(activity_id, lead_id, kind, at, properties), topics.activity)
    return activity_id


async def record_consent_change(
    uow: CaptureUnitOfWork, topics: Topics, changed: ConsentChanged, activity: str
) -> None:
    """Store the change as an activity of its lead and queue ConsentChanged (inside the caller's transaction)."""
    await record_activity(uow, topics, changed.lead_id, activity, changed.at, {})
    uow.outbox.add(new_event(changed, source=SOURCE, subject=changed.lead_id), topics.consent)


def lead_captured(captured: CapturedLead) -> LeadCaptured:
    """Build the LeadCaptured data of a stored lead."""
    lead = captured.lead
    return LeadCaptured(
        lead_id=captured.lead_id,
        is_new=captured.is_new,
        source=lead.source,  # type: ignore[arg-type]
        form_id=lead.form_id,
        completeness=captured.completeness,
        contact=Contact(
            email=lead.email, name=lead.name, phone=lead.phone, company=lead.company, title=lead.title
        ),
        company=Company(
            size=lead.company_size, employees=lead.employees, industry=lead.industry, country=lead.country
        ),
        message=lead.message,
        utm=lead.utm,
        consent=Consent(
            marketing=lead.consent_marketing,
            purposes=list(lead.consent_purposes),
            policy_version=lead.consent_policy_version,
            form_id=lead.form_id,
            captured_at=captured.captured_at,
        ),
        question_asked=asked_a_question(lead),
        disposable_email=lead.disposable_email,
    )
