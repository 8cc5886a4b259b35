"""Follow-up clocks: a handoff's clock, its states and the changes it allows, and what a breach says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

# open -> contacted | breached | rejected (the rep turned the lead down: neither a contact nor a breach) |
# replaced (a later attempt took over) | erased (the person asked to be forgotten); breached -> breached,
# contacted late (the contact is recorded, the state stays)
State = Literal["open", "contacted", "breached", "rejected", "replaced", "erased"]
BREACH_NAMESPACE = uuid.UUID("0f3f7c1e-8a55-4d0b-a6a4-5f7c2b1d9e10")


def warning_event_id(handoff_id: str, attempt: int) -> str:
    """Return the deterministic id of a handoff attempt's at-risk warning."""
    return str(uuid.uuid5(BREACH_NAMESPACE, f"{handoff_id}:{attempt}:at-risk"))


def breach_event_id(handoff_id: str, attempt: int) -> str:
    """Return the deterministic id of a handoff attempt's breach, so a re-fire collapses downstream."""
    return str(uuid.uuid5(BREACH_NAMESPACE, f"{handoff_id}:{attempt}:breached"))


def state_after_contact(state: State) -> State:
    """Contact closes an open clock; a breached or replaced clock keeps its state (contact is still recorded)."""
    return "contacted" if state == "open" else state


def overdue_seconds(due_at: datetime, breached_at: datetime) -> float:
    """Return how late the breach fired relative to the deadline."""
    return max(0.0, (breached_at - due_at).total_seconds())


@dataclass(frozen=True, slots=True)
class NewClock:
    """A clock a handoff starts: whose, which queue and attempt, under which policy, due when."""

    handoff_id: str
    lead_id: str
    owner_id: str | None
    queue: str
    attempt: int
    grade: str | None
    policy: str | None
    due_at: datetime
    warn_at: datetime | None
    handed_off_at: datetime
    captured_at: datetime | None


@dataclass(frozen=True, slots=True)
class Clock:
    """A handoff's stored clock (a contact that arrived before its handoff has no deadline yet)."""

    handoff_id: str
    lead_id: str | None
    owner_id: str | None
    queue: str | None
    attempt: int
    grade: str | None
    policy: str | None
    state: State
    due_at: datetime | None
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    handed_off_at: datetime | None = None
    captured_at: datetime | None = None
    contacted_at: datetime | None = None
    contact_channel: str | None = None
    callback_at: datetime | None = None
    breached_at: datetime | None = None
    replaced_at: datetime | None = None
    rejected_at: datetime | None = None

    @classmethod
    def started(cls, new: NewClock) -> Clock:
        """The open clock a handoff starts."""
        return cls(
            new.handoff_id, new.lead_id, new.owner_id, new.queue, new.attempt, new.grade, new.policy, "open",
            new.due_at, new.warn_at, handed_off_at=new.handed_off_at, captured_at=new.captured_at,
        )  # fmt: skip

    @classmethod
    def contacted_before_handoff(
        cls, handoff_id: str, lead_id: str, owner_id: str | None, at: datetime, channel: str
    ) -> Clock:
        """A contact a sales tool reported before this monitor saw the handoff."""
        return cls(handoff_id, lead_id, owner_id, None, 1, None, None, "contacted", None,
                   contacted_at=at, contact_channel=channel)  # fmt: skip

    @classmethod
    def rejected_before_handoff(
        cls, handoff_id: str, lead_id: str, owner_id: str | None, at: datetime
    ) -> Clock:
        """A rejection that arrived before this monitor saw the handoff: its clock never runs."""
        return cls(handoff_id, lead_id, owner_id, None, 1, None, None, "rejected", None, rejected_at=at)

    def reject(self, at: datetime) -> Clock:
        """The rep turned the lead down: an open clock stops, counting neither as a contact nor as a breach; a
        clock already decided (contacted, breached) or closed keeps its state."""
        if self.state != "open":
            return self
        return replace(self, state="rejected", rejected_at=at)

    def contact(self, at: datetime, channel: str) -> Clock:
        """The first contact stops an open clock; a breached or replaced one records it and keeps its state.
        A later contact changes nothing."""
        if self.contacted_at is not None:
            return self
        return replace(self, state=state_after_contact(self.state), contacted_at=at, contact_channel=channel)

    def callback(self, due_at: datetime, callback_at: datetime) -> Clock:
        """Move an open clock's deadline to a callback the lead asked for (no warning before it);
        ClockClosed when the clock is not open."""
        if self.state != "open":
            raise ClockClosed(f"the handoff's clock is {self.state}")
        return replace(self, due_at=due_at, callback_at=callback_at, warn_at=None)

    @property
    def rep_time_s(self) -> float | None:
        """Seconds from the handoff to its first contact, once both are known."""
        if self.contacted_at is None or self.handed_off_at is None:
            return None
        return max(0.0, (self.contacted_at - self.handed_off_at).total_seconds())


class ClockClosed(ValueError):
    """The clock is no longer open: a callback cannot move it."""


@dataclass(frozen=True, slots=True)
class DueClock:
    """An open clock claimed for its warning or breach, with the database's time of the claim."""

    handoff_id: str
    lead_id: str
    owner_id: str | None
    queue: str | None
    attempt: int
    due_at: datetime
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Compliance:
    """Handoffs of one owner or queue since a time: decided (contacted or breached), on time, breached, and
    the 50th and 95th percentiles of routing time (capture to handoff) and rep time (handoff to contact)."""

    group: str | None
    handoffs: int
    decided: int
    on_time: int
    breached: int
    rejected: int
    rep_time_p50_s: float | None
    rep_time_p95_s: float | None
    routing_time_p50_s: float | None
    routing_time_p95_s: float | None

    @property
    def compliance(self) -> float | None:
        """The share of decided handoffs contacted on time."""
        return round(self.on_time / self.decided, 4) if self.decided else None
