"""Whom a person's email about a handoff goes to, and which links it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from leadrelay.delivery.domain.subscriptions import HandoffFacts, Person
from leadrelay.events.handoff import HandoffAtRisk, HandoffBreached, HandoffRejected, LeadQualified

Role = Literal["owner", "manager", "subscriber"]
Action = Literal["accept", "contacted", "reject"]
ACTIONS: tuple[Action, ...] = ("accept", "contacted", "reject")

# The template files' names for each event type.
KINDS = {
    LeadQualified.EVENT_TYPE: "qualified",
    HandoffAtRisk.EVENT_TYPE: "at_risk",
    HandoffBreached.EVENT_TYPE: "breached",
    HandoffRejected.EVENT_TYPE: "rejected",
}
LATE = (HandoffAtRisk.EVENT_TYPE, HandoffBreached.EVENT_TYPE)


@dataclass(frozen=True)
class Recipient:
    """One person an email goes to, in one role."""

    person: Person
    role: Role


def recipients(event_type: str, handoff: HandoffFacts) -> list[Recipient]:
    """The rep of a new handoff; the rep and their queue's manager of a late one (each address once, the owner
    first); nobody without an address, and no pool (it has no inbox)."""
    wanted: list[Recipient] = []
    if event_type == LeadQualified.EVENT_TYPE or event_type in LATE:
        if handoff.owner is not None:
            wanted.append(Recipient(handoff.owner, "owner"))
    if event_type in LATE and handoff.manager is not None:
        wanted.append(Recipient(handoff.manager, "manager"))
    seen: set[str] = set()
    found: list[Recipient] = []
    for recipient in wanted:
        address = (recipient.person.email or "").lower()
        if address and address not in seen and not recipient.person.id.startswith("pool:"):
            seen.add(address)
            found.append(recipient)
    return found


def actions_for(event_type: str, role: Role) -> tuple[Action, ...]:
    """The links an email carries: the owner of an open handoff can accept, report contact or reject it; a
    breached one has gone on to someone else, and a manager or a subscribed inbox acts elsewhere."""
    if role == "owner" and event_type in (LeadQualified.EVENT_TYPE, HandoffAtRisk.EVENT_TYPE):
        return ACTIONS
    return ()
