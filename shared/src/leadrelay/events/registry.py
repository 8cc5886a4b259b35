"""Which data model and topic belong to each event type."""

from __future__ import annotations

from dataclasses import dataclass

from leadrelay.events import topics
from leadrelay.events.base import EventData
from leadrelay.events.handoff import (
    HandoffAtRisk,
    HandoffBreached,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
)
from leadrelay.events.lead import ConsentChanged, LeadActivity, LeadCaptured, LeadErased
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.events.sla import SlaPoliciesActivated


@dataclass(frozen=True)
class EventSpec:
    """An event type's data model and the logical topic it travels on."""

    model: type[EventData]
    topic: str


EVENT_TYPES: dict[str, EventSpec] = {
    spec.model.EVENT_TYPE: spec
    for spec in (
        EventSpec(LeadCaptured, topics.CAPTURED),
        EventSpec(LeadActivity, topics.ACTIVITY),
        EventSpec(LeadScored, topics.SCORED),
        EventSpec(LeadQualified, topics.QUALIFIED),
        EventSpec(LeadContacted, topics.CONTACTED),
        EventSpec(HandoffBreached, topics.SLA_BREACHED),
        EventSpec(HandoffRejected, topics.REJECTED),
        EventSpec(HandoffAtRisk, topics.AT_RISK),
        EventSpec(LeadOutcome, topics.OUTCOMES),
        EventSpec(LeadErased, topics.ERASED),
        EventSpec(ConsentChanged, topics.CONSENT),
        EventSpec(SlaPoliciesActivated, topics.SLA_POLICIES),
    )
}


def spec_for(event_type: str) -> EventSpec | None:
    """Return the spec of a known event type, or None."""
    return EVENT_TYPES.get(event_type)
