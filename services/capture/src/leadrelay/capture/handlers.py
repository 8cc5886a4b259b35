"""Capture's command handlers."""

from __future__ import annotations

import uuid
from datetime import datetime

from leadrelay.capture.adapters.uow import CaptureUnitOfWork
from leadrelay.capture.domain.lead import CapturedLead, NewLead, capture
from leadrelay.events import Topics, new_event
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured

SOURCE = "leadrelay/capture"


async def capture_lead(lead: NewLead, uow: CaptureUnitOfWork, topics: Topics, now: datetime) -> str:
    """Store a new lead and queue LeadCaptured in the same transaction; return the lead id."""
    captured = capture(lead, str(uuid.uuid4()), now)
    async with uow:
        await uow.leads.add(captured)
        uow.outbox.add(
            new_event(lead_captured(captured), source=SOURCE, subject=captured.lead_id), topics.captured
        )
        await uow.commit()
    return captured.lead_id


def lead_captured(captured: CapturedLead) -> LeadCaptured:
    """Build the LeadCaptured data of a stored lead."""
    lead = captured.lead
    return LeadCaptured(
        lead_id=captured.lead_id,
        is_new=True,
        source=lead.source,  # type: ignore[arg-type]
        form_id=lead.form_id,
        completeness=captured.completeness,
        contact=Contact(
            email=lead.email, name=lead.name, phone=lead.phone, company=lead.company, title=lead.title
        ),
        company=Company(size=lead.company_size, industry=lead.industry, country=lead.country),
        message=lead.message,
        utm=lead.utm,
        consent=Consent(
            marketing=lead.consent_marketing,
            policy_version=lead.consent_policy_version,
            captured_at=captured.captured_at if lead.consent_marketing else None,
        ),
    )
