"""Starting clocks for a batch of handoffs in one transaction: each once, a reassignment in the same batch
replaces the earlier attempt's clock, and an early contact reported over HTTP is announced exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadrelay.db.engine import session_factory
from leadrelay.devkit.testing.plugin import rows
from leadrelay.events import Topics, new_event
from leadrelay.events.handoff import DecisionRef, LeadContacted, LeadQualified, Owner, SlaTerms
from leadrelay.events.lead import LeadErased
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork as SlaUnitOfWork
from leadrelay.sla_monitor.bootstrap import MIGRATIONS
from leadrelay.sla_monitor.handlers import breach_due_handoffs, contact_reported, erase_lead, start_clocks
from leadrelay.sla_policies import PolicySet

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
POLICIES = PolicySet(version="p", policies=[{"name": "smb", "deadlines": {"A": 5}}])


def qualified(handoff_id: str, lead_id: str, attempt: int = 1):
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=lead_id,
        attempt=attempt,
        queue="smb",
        owner=Owner(id=f"rep-{attempt}", name="Rep"),
        score=70,
        grade="B2",
        stage="sql",
        sla=SlaTerms(policy="smb", due_at=NOW + timedelta(minutes=5)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    return new_event(data, source="leadrelay/routing", subject=lead_id, time=NOW)


async def test_a_batch_starts_each_clock_once_replaces_earlier_attempts_and_keeps_early_contact(
    open_database,
):
    engine = await open_database("sla-monitor", MIGRATIONS)
    sessions, topics = session_factory(engine), Topics()
    contacted = LeadContacted(handoff_id="h-called", lead_id="lead-b", channel="phone", at=NOW)
    # The sales tool's LeadContacted arrives before its handoff.
    await contact_reported(new_event(contacted, source="crm", subject="lead-b"), SlaUnitOfWork(sessions))
    first = qualified("h-1", "lead-a")
    batch = [first, qualified("h-called", "lead-b"), first, qualified("h-2", "lead-a", attempt=2)]

    await start_clocks(batch, SlaUnitOfWork(sessions), topics, POLICIES)
    await start_clocks(batch, SlaUnitOfWork(sessions), topics, POLICIES)  # redelivered

    states = dict(await rows(engine, "SELECT handoff_id, state FROM handoffs"))
    announced = await rows(engine, f"SELECT key FROM outbox WHERE topic = '{topics.contacted}'")
    assert states == {"h-1": "replaced", "h-2": "open", "h-called": "contacted"}
    assert announced == []  # the sales tool announced it already


async def test_an_erased_lead_has_its_clock_stopped_and_its_late_handoffs_ignored(open_database):
    engine = await open_database("sla-monitor", MIGRATIONS)
    sessions, topics = session_factory(engine), Topics()
    await start_clocks([qualified("h-forget", "lead-forget")], SlaUnitOfWork(sessions), topics, POLICIES)
    forget = new_event(LeadErased(lead_id="lead-forget"), source="leadrelay/capture", subject="lead-forget")
    await erase_lead(forget, SlaUnitOfWork(sessions))
    late = qualified("h-late", "lead-forget", attempt=2)
    await start_clocks([late], SlaUnitOfWork(sessions), topics, POLICIES)
    breached = await breach_due_handoffs(SlaUnitOfWork(sessions), topics, 10, at=NOW + timedelta(days=365))

    assert await rows(engine, "SELECT handoff_id, state, lead_id FROM handoffs") == [
        ("h-forget", "erased", None)
    ]
    assert breached == 0
