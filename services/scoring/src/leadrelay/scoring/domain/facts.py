"""A lead as scoring sees it: its captured facts and its activities."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel

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


def _paths(model: type[BaseModel], prefix: str = "") -> tuple[set[str], set[str]]:
    """The field paths of a model's documents, and the prefixes under which any key may appear (a dict)."""
    exact: set[str] = set()
    open_prefixes: set[str] = set()
    for name, info in model.model_fields.items():
        path = prefix + name
        exact.add(path)
        for kind in (info.annotation, *get_args(info.annotation)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                nested, nested_open = _paths(kind, path + ".")
                exact |= nested
                open_prefixes |= nested_open
            elif kind is dict or get_origin(kind) is dict:
                open_prefixes.add(path + ".")
    return exact, open_prefixes


@cache
def fact_paths() -> tuple[frozenset[str], frozenset[str]]:
    """Every path a rule may read in a lead's facts (LeadCaptured's document and the first capture's time), and
    the prefixes of free-form maps such as utm."""
    exact, open_prefixes = _paths(LeadCaptured)
    return frozenset(exact | {"captured_at"}), frozenset(open_prefixes)


def check_fact_path(path: str) -> str:
    """Return the path when a lead's facts can hold it; ValueError naming the closest known one otherwise, so
    a misspelt field is refused instead of never matching."""
    exact, open_prefixes = fact_paths()
    if path in exact or any(path.startswith(p) and len(path) > len(p) for p in open_prefixes):
        return path
    close = difflib.get_close_matches(path, sorted(exact), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"{path!r} is not a field of a lead{hint}")
