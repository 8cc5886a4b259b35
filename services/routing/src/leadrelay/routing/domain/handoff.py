"""A handoff and its lifecycle: open -> accepted -> contacted | closed; open or accepted -> rejected |
reassigned | contacted | closed. Only the handoff changes its state, and it refuses what its state does not
allow."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from leadrelay.events.scoring import LeadScored

HandoffState = Literal["open", "accepted", "rejected", "reassigned", "contacted", "closed"]
OPEN_STATES: tuple[HandoffState, ...] = ("open", "accepted")
POOL_PREFIX = "pool:"


class HandoffClosed(ValueError):
    """The handoff is no longer open: nobody may accept, reject or reassign it."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """A lead's attempt given to an owner (a rep, or a queue's pool) in a queue."""

    handoff_id: str
    lead_id: str
    attempt: int
    queue: str
    owner_id: str
    assigned_at: datetime
    trace_id: str
    state: HandoffState = "open"
    closed_at: datetime | None = None
    reason: str | None = None

    @property
    def is_open(self) -> bool:
        """Open or accepted: it still counts against its owner's concurrent cap."""
        return self.state in OPEN_STATES

    @property
    def pooled(self) -> bool:
        """Nobody could take it: its owner is the queue's pool."""
        return self.owner_id.startswith(POOL_PREFIX)

    def accept(self) -> Handoff:
        """The owner takes it on; it stays open until first contact (accepting twice changes nothing)."""
        self._must_be_open()
        return replace(self, state="accepted")

    def reject(self, now: datetime, reason: str) -> Handoff:
        """The owner turns the lead down, with the reason marketing reads."""
        self._must_be_open()
        return self._closed("rejected", now, reason)

    def reassign(self, now: datetime, reason: str) -> Handoff:
        """Taken from its owner (a breached deadline): the next attempt goes to someone else."""
        self._must_be_open()
        return self._closed("reassigned", now, reason)

    def contact(self, now: datetime) -> Handoff:
        """First contact frees the owner's cap; a handoff no longer open stays as it is."""
        return self._closed("contacted", now, self.reason) if self.is_open else self

    def close(self, now: datetime, reason: str) -> Handoff:
        """An outcome arrived: an open handoff is closed; another stays as it is."""
        return self._closed("closed", now, reason) if self.is_open else self

    def _closed(self, state: HandoffState, now: datetime, reason: str | None) -> Handoff:
        return replace(self, state=state, closed_at=now, reason=reason)

    def _must_be_open(self) -> None:
        if not self.is_open:
            raise HandoffClosed(f"the handoff is {self.state}")


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One routing decision about a lead's attempt, with its trace (why it went where it went)."""

    trace_id: str
    lead_id: str
    attempt: int
    handed_off: bool
    stage: str
    grade: str | None
    score: int | None
    decided_at: datetime
    trace: dict[str, Any]
    handoff_id: str | None = None
    queue: str | None = None
    owner_id: str | None = None
    rule: str | None = None
    strategy: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A known account (company name, email domain) and the rep who owns it."""

    name: str
    owner_id: str
    domain: str | None = None

    @property
    def name_key(self) -> str:
        """The name as accounts are matched by: trimmed, lower case."""
        return self.name.strip().lower()


def person_key(email: str | None) -> str | None:
    """Return the key that recognises a returning person without storing the email twice."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest() if email else None


@dataclass(frozen=True, slots=True)
class RoutedLead:
    """What routing keeps of a lead it handed off: its latest score (to escalate it) and who it is (a hash
    of the email, to recognise a returning person)."""

    lead_id: str
    scored: LeadScored
    person_key: str | None
