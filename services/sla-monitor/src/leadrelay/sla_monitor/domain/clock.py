"""Follow-up clocks as plain data: states and what a breach says."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

State = Literal["open", "contacted", "breached", "replaced"]
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
