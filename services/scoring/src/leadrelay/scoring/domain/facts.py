"""A lead as scoring sees it: its captured facts and its activities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadrelay.events.lead import LeadCaptured, LeadSnapshot


@dataclass(frozen=True)
class Activity:
    """One engagement event of a lead."""

    kind: str
    at: datetime


# The parts of a captured lead that describe the person, by LeadCaptured's nesting.
PERSON_FACTS = {
    "contact": ("name", "phone", "company", "title"),
    "company": ("size", "employees", "industry", "country"),
}


def merge_facts(earlier: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any]:
    """Return a lead's facts after a capture: capture's merged lead, except that a partial (abandoned) submission
    never replaces complete facts: their person fields, message and question stay."""
    if not earlier or earlier.get("completeness") != "complete" or incoming.get("completeness") != "partial":
        return incoming
    merged = {
        **incoming,
        "completeness": "complete",
        "message": earlier.get("message") or incoming.get("message"),
        "question_asked": bool(earlier.get("question_asked") or incoming.get("question_asked")),
    }
    for part, names in PERSON_FACTS.items():
        known = {n: v for n in names if (v := (earlier.get(part) or {}).get(n)) is not None}
        merged[part] = {**(incoming.get(part) or {}), **known}
    return merged


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What scoring knows of a lead: its captures merged, as LeadCaptured's JSON document plus the first
    capture's time. Rules, qualification and the model read the document by field path ("company.size")."""

    lead_id: str
    document: dict[str, Any]
    # The document as LeadCaptured, when it is the capture just received: not parsed again.
    lead: LeadCaptured | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_capture(cls, data: LeadCaptured, at: datetime, earlier: LeadFacts | None) -> LeadFacts:
        """The facts after a capture arrives (at: the capture's time), merged into what was known."""
        known = earlier.document if earlier else None
        first_capture = (known or {}).get("captured_at")
        incoming = data.model_dump(mode="json")
        merged = merge_facts(known, incoming)
        document = {**merged, "captured_at": first_capture or at.isoformat()}
        return cls(data.lead_id, document, data if merged is incoming else None)

    @property
    def captured_at(self) -> str | None:
        """When the lead was first captured (ISO time)."""
        return self.document.get("captured_at")

    def with_consent(self, marketing: bool, purposes: list[str]) -> LeadFacts:
        """The facts after capture changed the person's consent."""
        consent = {**(self.document.get("consent") or {}), "marketing": marketing, "purposes": purposes}
        return LeadFacts(self.lead_id, {**self.document, "consent": consent})

    def captured(self) -> LeadCaptured:
        """The facts as the capture event they merge."""
        return self.lead if self.lead is not None else LeadCaptured.model_validate(self.document)


def snapshot_of(lead: LeadCaptured) -> LeadSnapshot:
    """What a handoff carries of a lead: contact, company, message, marketing consent."""
    return LeadSnapshot(
        contact=lead.contact,
        company=lead.company,
        message=lead.message,
        marketing_consent=lead.consent.marketing,
    )
