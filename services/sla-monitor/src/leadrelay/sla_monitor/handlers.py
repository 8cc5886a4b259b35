"""The SLA monitor's handlers: start clocks, record contact, breach what is due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import (
    HandoffAtRisk,
    HandoffBreached,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
)
from leadrelay.sla_monitor.domain.clock import (
    Clock,
    NewClock,
    breach_event_id,
    overdue_seconds,
    warning_event_id,
)
from leadrelay.sla_monitor.domain.policy import callback_deadline, callback_problem
from leadrelay.sla_monitor.metrics import (
    BREACHES,
    CLOCKS_STARTED,
    REJECTIONS,
    REP_TIME,
    ROUTING_TIME,
    WARNINGS,
)
from leadrelay.sla_monitor.ports import SlaUnitOfWork
from leadrelay.sla_policies import PolicySet

SOURCE = "leadrelay/sla-monitor"
log = structlog.get_logger(__name__)


async def start_clock(event: Envelope, uow: SlaUnitOfWork, topics: Topics, policies: PolicySet) -> None:
    """Start the follow-up clock of one handoff (see start_clocks)."""
    await start_clocks([event], uow, topics, policies)


async def start_clocks(
    events: list[Envelope], uow: SlaUnitOfWork, topics: Topics, policies: PolicySet
) -> None:
    """Start the follow-up clocks of handoffs (each once) in one transaction. The policies set each deadline
    (the one a handoff carries is routing's statement of the same rule, never trusted over them); a queue
    naming a policy they lack is timed by their fallback.

    A later attempt of the same lead (a reassignment) replaces the clocks of the earlier ones.
    """
    async with uow:
        claimed = await uow.inbox.claim_many(events)
        erased = await uow.tombstones.erased({e.data.lead_id for e in claimed})
        claimed = [e for e in claimed if e.data.lead_id not in erased]  # a late handoff of an erased lead
        clocks: list[NewClock] = []
        for event in claimed:
            data: LeadQualified = event.data
            if policies.policy(data.sla.policy) is None:
                log.warning(
                    "sla_policy_unknown", policy=data.sla.policy, fallback=policies.governing("").name
                )
            due_at, warn_at = policies.deadline(data.sla.policy, data.grade, event.time)
            clocks.append(
                NewClock(
                    handoff_id=data.handoff_id,
                    lead_id=data.lead_id,
                    owner_id=data.owner.id,
                    queue=data.queue,
                    attempt=data.attempt,
                    grade=data.grade,
                    policy=data.sla.policy,
                    due_at=due_at,
                    warn_at=warn_at,
                    handed_off_at=event.time,
                    captured_at=data.captured_at,
                )
            )
        await uow.handoffs.start_many(clocks)
        for event in claimed:
            data = event.data
            if data.attempt > 1:
                await uow.handoffs.replace_earlier(data.lead_id, data.attempt)
            CLOCKS_STARTED.labels(data.queue).inc()
            if data.captured_at is not None and data.attempt == 1:
                ROUTING_TIME.labels(data.queue).observe(
                    max(0.0, (event.time - data.captured_at).total_seconds())
                )
        await uow.commit()


async def contact_reported(event: Envelope, uow: SlaUnitOfWork) -> None:
    """Stop a clock on LeadContacted from a sales tool (idempotent, order-tolerant)."""
    data: LeadContacted = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        if not await uow.handoffs.contacted_early(
            data.handoff_id, data.at, data.channel, lead_id=data.lead_id, owner_id=data.owner_id
        ):
            clock = await uow.handoffs.get(data.handoff_id, lock=True)
            assert clock is not None
            contacted = clock.contact(data.at, data.channel)
            if contacted is not clock:
                await uow.handoffs.save(contacted)
                _observe_rep_time(contacted)
        await uow.commit()


async def rejection_reported(event: Envelope, uow: SlaUnitOfWork) -> None:
    """Stop a clock on HandoffRejected: the rep turned the lead down, so it neither breaches nor counts as a
    contact (idempotent, order-tolerant: a rejection read before its handoff keeps the clock from running)."""
    data: HandoffRejected = event.data
    async with uow:
        if not await uow.inbox.claim(event):
            return
        if not await uow.handoffs.rejected_early(
            data.handoff_id, data.at, lead_id=data.lead_id, owner_id=data.owner_id
        ):
            clock = await uow.handoffs.get(data.handoff_id, lock=True)
            assert clock is not None
            rejected = clock.reject(data.at)
            if rejected is not clock:
                await uow.handoffs.save(rejected)
                REJECTIONS.labels(data.queue).inc()
        else:
            REJECTIONS.labels(data.queue).inc()
        await uow.commit()


async def erase_lead(event: Envelope, uow: SlaUnitOfWork) -> None:
    """Stop an erased lead's clocks (no warning, breach or escalation about a forgotten person) and ignore its
    late handoffs."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.handoffs.erase_lead(lead_id)
        await uow.commit()


class UnknownHandoff(LookupError):
    """No clock exists for the handoff id."""


class ForeignHandoff(PermissionError):
    """The caller may not act on the handoff's queue."""


class CallbackRefused(ValueError):
    """The callback time is in the past or beyond the policy's horizon."""


async def report_contact(
    handoff_id: str,
    channel: str,
    at: datetime,
    uow: SlaUnitOfWork,
    topics: Topics,
    may_touch: Callable[[str], bool],
) -> Clock:
    """Record first contact reported over HTTP and publish LeadContacted; return the handoff's clock.

    An unknown handoff raises UnknownHandoff and one of a queue the caller may not touch ForeignHandoff;
    neither stores anything (a sales tool that saw the handoff before this monitor did retries).
    """
    async with uow:
        clock = await _touchable(uow, handoff_id, may_touch)
        contacted = clock.contact(at, channel)
        if contacted is not clock:
            await uow.handoffs.save(contacted)
            _observe_rep_time(contacted)
            _queue_contacted(uow, topics, contacted)
        await uow.commit()
        return contacted


async def _touchable(uow: SlaUnitOfWork, handoff_id: str, may_touch: Callable[[str], bool]) -> Clock:
    """The handoff's clock, locked; UnknownHandoff or ForeignHandoff when the caller may not act on it."""
    clock = await uow.handoffs.get(handoff_id, lock=True)
    if clock is None:
        raise UnknownHandoff(handoff_id)
    if not may_touch(clock.queue or ""):
        raise ForeignHandoff(clock.queue or "")
    return clock


def _observe_rep_time(contacted: Clock) -> None:
    """Count the first contact's response time (handoff to contact), late contacts included."""
    if contacted.rep_time_s is not None:
        REP_TIME.labels(contacted.queue or "").observe(contacted.rep_time_s)


async def schedule_callback(
    handoff_id: str,
    callback_at: datetime,
    uow: SlaUnitOfWork,
    policies: PolicySet | None,
    may_touch: Callable[[str], bool],
    now: datetime,
) -> Clock:
    """Move an open clock's deadline to the callback time the lead asked for (plus the policy's grace).

    Raises UnknownHandoff, ForeignHandoff, CallbackRefused (past or beyond the horizon), or ClockClosed when
    its clock is no longer open; nothing is stored then.
    """
    async with uow:
        clock = await _touchable(uow, handoff_id, may_touch)
        policy = policies.governing(clock.policy) if policies and clock.policy else None
        problem = callback_problem(policy, callback_at, now)
        if problem is not None:
            raise CallbackRefused(problem)
        moved = clock.callback(callback_deadline(policy, callback_at), callback_at)
        await uow.handoffs.save(moved)
        await uow.commit()
        return moved


async def warn_due_handoffs(
    uow: SlaUnitOfWork, topics: Topics, limit: int, at: datetime | None = None
) -> int:
    """Emit HandoffAtRisk for every open clock whose warning time passed (database time); return how many."""
    async with uow:
        due = await uow.handoffs.claim_warnings(limit, at)
        if not due:
            return 0
        await uow.handoffs.mark_warned([clock.handoff_id for clock in due], due[0].claimed_at)
        for clock in due:
            warning = HandoffAtRisk(
                handoff_id=clock.handoff_id,
                lead_id=clock.lead_id,
                owner_id=clock.owner_id or "",
                queue=clock.queue or "",
                attempt=clock.attempt,
                due_at=clock.due_at,
                warned_at=clock.claimed_at,
            )
            envelope = new_event(
                warning,
                source=SOURCE,
                subject=clock.lead_id,
                event_id=warning_event_id(clock.handoff_id, clock.attempt),
                time=clock.claimed_at,
            )
            uow.outbox.add(envelope, topics.at_risk)
        await uow.commit()
        for clock in due:
            WARNINGS.labels(clock.queue or "").inc()
        return len(due)


def _queue_contacted(uow: SlaUnitOfWork, topics: Topics, clock: Clock) -> None:
    if clock.lead_id is None:  # an erased lead's clock: nothing is said about a forgotten person
        return
    contacted = LeadContacted(
        handoff_id=clock.handoff_id,
        lead_id=clock.lead_id,
        owner_id=clock.owner_id,
        channel=clock.contact_channel or "unknown",
        at=clock.contacted_at,
    )
    uow.outbox.add(new_event(contacted, source=SOURCE, subject=clock.lead_id), topics.contacted)


async def breach_due_handoffs(
    uow: SlaUnitOfWork, topics: Topics, limit: int, at: datetime | None = None
) -> int:
    """Breach every open clock whose deadline passed (database time; `at` only in tests); return how many."""
    async with uow:
        due = await uow.handoffs.claim_due(limit, at)
        if not due:
            return 0
        await uow.handoffs.mark_breached([clock.handoff_id for clock in due], due[0].claimed_at)
        for clock in due:
            breached = HandoffBreached(
                handoff_id=clock.handoff_id,
                lead_id=clock.lead_id,
                owner_id=clock.owner_id or "",
                queue=clock.queue or "",
                due_at=clock.due_at,
                breached_at=clock.claimed_at,
                overdue_seconds=overdue_seconds(clock.due_at, clock.claimed_at),
                attempt=clock.attempt,
            )
            envelope = new_event(
                breached,
                source=SOURCE,
                subject=clock.lead_id,
                event_id=breach_event_id(clock.handoff_id, clock.attempt),
                time=clock.claimed_at,
            )
            uow.outbox.add(envelope, topics.sla_breached)
        await uow.commit()
        for clock in due:
            BREACHES.labels(clock.queue or "").inc()
        return len(due)
