"""The SLA monitor's storage in memory: the twin of PostgreSQL's for handler tests (tests/contract runs the
same suite on both). Its "database time" is the wall clock, or `at` where a claim takes one."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from leadrelay.db.memory import MemoryUnitOfWork, MessagingState, percentile
from leadrelay.sla_monitor.domain.clock import Clock, Compliance, DueClock, NewClock


@dataclass
class SlaStore:
    """Everything the SLA monitor keeps: clocks by handoff id, and the messaging tables."""

    clocks: dict[str, Clock] = field(default_factory=dict)
    messaging: MessagingState = field(default_factory=MessagingState)


class MemoryClocks:
    """Handoff clocks in a dict."""

    def __init__(self, clocks: dict[str, Clock]) -> None:
        self._clocks = clocks

    async def start_many(self, clocks: Sequence[NewClock]) -> None:
        """Start clocks; a clock a contact made early keeps its state and gains the handoff's details."""
        for new in clocks:
            stored = self._clocks.get(new.handoff_id)
            if stored is None:
                self._clocks[new.handoff_id] = Clock.started(new)
            elif stored.due_at is None:
                started = Clock.started(new)
                self._clocks[new.handoff_id] = replace(
                    started,
                    state=stored.state,
                    contacted_at=stored.contacted_at,
                    contact_channel=stored.contact_channel,
                    rejected_at=stored.rejected_at,
                )

    async def contacted_early(
        self, handoff_id: str, at: datetime, channel: str, lead_id: str, owner_id: str | None = None
    ) -> bool:
        """Record a contact that arrived before its handoff; False when the handoff exists."""
        if handoff_id in self._clocks:
            return False
        self._clocks[handoff_id] = Clock.contacted_before_handoff(handoff_id, lead_id, owner_id, at, channel)
        return True

    async def rejected_early(
        self, handoff_id: str, at: datetime, lead_id: str, owner_id: str | None = None
    ) -> bool:
        """Record a rejection that arrived before its handoff; False when the handoff exists."""
        if handoff_id in self._clocks:
            return False
        self._clocks[handoff_id] = Clock.rejected_before_handoff(handoff_id, lead_id, owner_id, at)
        return True

    async def get(self, handoff_id: str, lock: bool = False) -> Clock | None:
        """Return one handoff's clock (one transaction at a time: nothing to lock)."""
        return self._clocks.get(handoff_id)

    async def save(self, clock: Clock) -> None:
        """Store what a clock's own changes touch."""
        stored = self._clocks[clock.handoff_id]
        self._clocks[clock.handoff_id] = replace(
            stored,
            state=clock.state,
            due_at=clock.due_at,
            warn_at=clock.warn_at,
            contacted_at=clock.contacted_at,
            contact_channel=clock.contact_channel,
            callback_at=clock.callback_at,
            rejected_at=clock.rejected_at,
        )

    async def replace_earlier(self, lead_id: str, attempt: int) -> None:
        """Close the open clocks of the lead's earlier attempts."""
        for handoff_id, clock in list(self._clocks.items()):
            if clock.lead_id == lead_id and clock.attempt < attempt and clock.state == "open":
                self._clocks[handoff_id] = replace(clock, state="replaced", replaced_at=datetime.now(UTC))

    def _claim(self, when: str, at: datetime | None, limit: int) -> list[DueClock]:
        now = at or datetime.now(UTC)
        due = [
            c
            for c in self._clocks.values()
            if c.state == "open"
            and c.due_at is not None
            and (
                (when == "due" and c.due_at <= now)
                or (when == "warn" and c.warned_at is None and c.warn_at is not None and c.warn_at <= now)
            )
        ]
        due.sort(key=lambda c: (c.due_at if when == "due" else c.warn_at) or now)
        return [
            DueClock(c.handoff_id, c.lead_id or "", c.owner_id, c.queue, c.attempt, c.due_at or now, now)
            for c in due[:limit]
        ]

    async def claim_warnings(self, limit: int, at: datetime | None = None) -> list[DueClock]:
        """Open, unwarned clocks whose warning time passed, soonest first."""
        return self._claim("warn", at, limit)

    async def mark_warned(self, handoff_ids: list[str], at: datetime) -> None:
        """Note that these clocks' warnings are queued."""
        for handoff_id in handoff_ids:
            self._clocks[handoff_id] = replace(self._clocks[handoff_id], warned_at=at)

    async def claim_due(self, limit: int, at: datetime | None = None) -> list[DueClock]:
        """Open clocks whose deadline passed, soonest first."""
        return self._claim("due", at, limit)

    async def mark_breached(self, handoff_ids: list[str], at: datetime) -> None:
        """Mark clocks breached at the claim's time."""
        for handoff_id in handoff_ids:
            self._clocks[handoff_id] = replace(self._clocks[handoff_id], state="breached", breached_at=at)

    async def erase_lead(self, lead_id: str) -> None:
        """Stop an erased lead's open clocks and unlink its handoffs from it."""
        for handoff_id, clock in list(self._clocks.items()):
            if clock.lead_id == lead_id:
                state = "erased" if clock.state == "open" else clock.state
                self._clocks[handoff_id] = replace(clock, state=state, lead_id=None)

    async def list(
        self,
        state: str | None,
        limit: int,
        queue: str | None = None,
        owner: str | None = None,
        overdue: bool | None = None,
        within: frozenset[str] | None = None,
    ) -> builtins.list[Clock]:
        """Clocks, soonest deadline first (none last), filtered as the PostgreSQL query filters them."""
        now = datetime.now(UTC)

        def late(c: Clock) -> bool:
            return c.state == "breached" or (c.state == "open" and c.due_at is not None and c.due_at < now)

        chosen = [
            c
            for c in self._clocks.values()
            if (not state or c.state == state)
            and (not queue or c.queue == queue)
            and (within is None or c.queue in within)
            and (not owner or c.owner_id == owner)
            and (overdue is None or late(c) == overdue)
        ]
        chosen.sort(key=lambda c: (c.due_at is None, c.due_at or now))
        return chosen[:limit]

    async def compliance(self, by: Literal["owner", "queue"], since: datetime) -> builtins.list[Compliance]:
        """Per owner or queue since a time, as the PostgreSQL aggregate computes it."""
        groups: dict[str | None, list[Clock]] = {}
        for c in self._clocks.values():
            if c.handed_off_at is not None and c.handed_off_at >= since and c.state != "replaced":
                groups.setdefault(c.owner_id if by == "owner" else c.queue, []).append(c)
        rows = []
        for group in sorted(groups, key=lambda g: (g is None, g or "")):
            clocks = groups[group]
            rep = [_seconds(c.handed_off_at, c.contacted_at) for c in clocks]
            routing = [_seconds(c.captured_at, c.handed_off_at) for c in clocks]
            on_time = [
                c for c in clocks if c.contacted_at is not None and c.due_at and c.contacted_at <= c.due_at
            ]
            rows.append(
                Compliance(
                    group,
                    handoffs=len(clocks),
                    decided=sum(1 for c in clocks if c.contacted_at is not None or c.state == "breached"),
                    on_time=len(on_time),
                    breached=sum(1 for c in clocks if c.state == "breached"),
                    rejected=sum(1 for c in clocks if c.state == "rejected"),
                    rep_time_p50_s=percentile(rep, 0.5),
                    rep_time_p95_s=percentile(rep, 0.95),
                    routing_time_p50_s=percentile(routing, 0.5),
                    routing_time_p95_s=percentile(routing, 0.95),
                )
            )
        return rows


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start is not None and end is not None else None


class MemorySlaUnitOfWork(MemoryUnitOfWork):
    """A transaction over an SlaStore."""

    handoffs: MemoryClocks

    def __init__(self, store: SlaStore) -> None:
        super().__init__(store)

    def _open_repositories(self) -> None:
        self.handoffs = MemoryClocks(self.working.clocks)
