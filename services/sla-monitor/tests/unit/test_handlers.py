"""The SLA monitor's handlers on the memory twin of its storage (tests/contract holds the twin to PostgreSQL's
behaviour): each runs in milliseconds, with no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.events import Topics, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.lead import LeadErased
from leadrelay.sla_monitor.adapters.memory import MemorySlaUnitOfWork, SlaStore
from leadrelay.sla_monitor.domain.clock import ClockClosed, breach_event_id
from leadrelay.sla_monitor.handlers import (
    CallbackRefused,
    ForeignHandoff,
    UnknownHandoff,
    breach_due_handoffs,
    contact_reported,
    erase_lead,
    rejection_reported,
    report_contact,
    schedule_callback,
    start_clocks,
    warn_due_handoffs,
)
from leadrelay.sla_policies import PolicySet

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TOPICS = Topics("t.")
POLICIES = PolicySet.model_validate(
    {"version": "p1", "policies": [{"name": "smb", "deadlines": {"A": 10, "B": 30}, "warn_at": 0.5}]}
)


def qualified(
    handoff_id: str, lead_id: str = "lead-a", attempt: int = 1, grade: str = "A1", queue: str = "smb"
):
    data = LeadQualified(
        handoff_id=handoff_id, lead_id=lead_id, attempt=attempt, queue=queue,
        owner=Owner(id="rep-ada", name="Ada"), score=80, grade=grade, stage="sql",
        sla=SlaTerms(policy="smb", due_at=NOW + timedelta(days=1)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"), captured_at=NOW - timedelta(seconds=2),
    )  # fmt: skip
    return new_event(data, source="leadrelay/routing", subject=lead_id, time=NOW)


@pytest.fixture
def store() -> SlaStore:
    return SlaStore()


def published(store: SlaStore, topic: str) -> list[dict]:
    return [json.loads(row["value"]) for row in store.messaging.published if row["topic"] == topic]


def anyone(queue: str) -> bool:
    return True


async def test_a_handoff_starts_a_clock_by_its_policy_once_and_a_reassignment_replaces_it(store):
    first = qualified("h-1")
    await start_clocks([first, first], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    await start_clocks([first], MemorySlaUnitOfWork(store), TOPICS, POLICIES)  # redelivered
    clock = store.clocks["h-1"]
    assert (clock.state, clock.due_at, clock.warn_at) == (
        "open",
        NOW + timedelta(minutes=10),
        NOW + timedelta(minutes=5),
    )
    await start_clocks(
        [qualified("h-2", attempt=2, grade="B1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES
    )
    assert store.clocks["h-1"].state == "replaced"
    assert store.clocks["h-2"].due_at == NOW + timedelta(minutes=30)


async def test_the_policies_set_the_deadline_not_the_one_the_handoff_carries(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert store.clocks["h-1"].due_at == NOW + timedelta(minutes=10)  # the event said a day


async def test_a_queue_naming_an_unknown_policy_is_timed_by_the_fallback(store):
    policies = PolicySet.model_validate(
        {
            "version": "p2",
            "fallback": "slow",
            "policies": [{"name": "fast", "deadlines": {"A": 1}}, {"name": "slow", "deadlines": {"A": 90}}],
        }
    )
    await start_clocks([qualified("h-1", queue="typo")], MemorySlaUnitOfWork(store), TOPICS, policies)
    assert store.clocks["h-1"].due_at == NOW + timedelta(minutes=90)


async def test_a_contact_over_http_is_stored_and_announced_once(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    at = NOW + timedelta(minutes=3)
    first = await report_contact("h-1", "phone", at, MemorySlaUnitOfWork(store), TOPICS, anyone)
    again = await report_contact(
        "h-1", "email", at + timedelta(minutes=1), MemorySlaUnitOfWork(store), TOPICS, anyone
    )
    assert (first.state, first.contact_channel) == ("contacted", "phone") and again == first
    [announced] = published(store, TOPICS.contacted)
    assert announced["data"]["handoff_id"] == "h-1" and announced["data"]["channel"] == "phone"


async def test_a_contact_refuses_an_unknown_handoff_and_another_queues_without_storing(store):
    await start_clocks([qualified("h-1", queue="enterprise")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    with pytest.raises(UnknownHandoff):
        await report_contact("nope", "phone", NOW, MemorySlaUnitOfWork(store), TOPICS, anyone)
    with pytest.raises(ForeignHandoff):
        await report_contact("h-1", "phone", NOW, MemorySlaUnitOfWork(store), TOPICS, lambda q: q == "smb")
    assert store.clocks["h-1"].state == "open" and published(store, TOPICS.contacted) == []


async def test_a_sales_tools_contact_before_its_handoff_is_kept_and_not_announced_again(store):
    contacted = LeadContacted(handoff_id="h-1", lead_id="lead-a", channel="email", at=NOW)
    await contact_reported(new_event(contacted, source="crm", subject="lead-a"), MemorySlaUnitOfWork(store))
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert store.clocks["h-1"].state == "contacted" and store.clocks["h-1"].due_at is not None
    assert published(store, TOPICS.contacted) == []


async def test_a_callback_moves_an_open_deadline_and_is_refused_in_the_past_or_on_a_closed_clock(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    moved = await schedule_callback(
        "h-1", NOW + timedelta(hours=2), MemorySlaUnitOfWork(store), POLICIES, anyone, NOW
    )
    assert moved.due_at == NOW + timedelta(hours=2, minutes=15) and moved.warn_at is None
    with pytest.raises(CallbackRefused):
        await schedule_callback(
            "h-1", NOW - timedelta(hours=1), MemorySlaUnitOfWork(store), POLICIES, anyone, NOW
        )
    await report_contact("h-1", "phone", NOW, MemorySlaUnitOfWork(store), TOPICS, anyone)
    with pytest.raises(ClockClosed):
        await schedule_callback(
            "h-1", NOW + timedelta(hours=3), MemorySlaUnitOfWork(store), POLICIES, anyone, NOW
        )
    assert store.clocks["h-1"].due_at == moved.due_at


async def test_a_warning_then_a_breach_each_come_once_with_deterministic_ids(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert await warn_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(minutes=4)) == 0
    assert await warn_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(minutes=6)) == 1
    assert await warn_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(minutes=7)) == 0
    late = NOW + timedelta(minutes=12)
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=late) == 1
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=late) == 0
    [breach] = published(store, TOPICS.sla_breached)
    assert breach["id"] == breach_event_id("h-1", 1) and breach["data"]["overdue_seconds"] == 120
    assert len(published(store, TOPICS.at_risk)) == 1 and store.clocks["h-1"].state == "breached"


async def test_an_erased_leads_clocks_stop_and_its_late_handoffs_are_ignored(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    erased = new_event(LeadErased(lead_id="lead-a"), source="capture", subject="lead-a")
    await erase_lead(erased, MemorySlaUnitOfWork(store))
    await start_clocks([qualified("h-2", attempt=2)], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert store.clocks["h-1"].state == "erased" and store.clocks["h-1"].lead_id is None
    assert "h-2" not in store.clocks
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(days=9)) == 0


def rejected(handoff_id: str, at: datetime = NOW):
    data = HandoffRejected(
        handoff_id=handoff_id, lead_id="lead-a", owner_id="rep-ada", queue="smb", reason="wrong person", at=at
    )
    return new_event(data, source="leadrelay/routing", subject="lead-a")


async def test_a_rejection_stops_the_clock_so_it_neither_warns_nor_breaches(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    event = rejected("h-1", NOW + timedelta(minutes=1))
    await rejection_reported(event, MemorySlaUnitOfWork(store))
    await rejection_reported(event, MemorySlaUnitOfWork(store))  # redelivered: the inbox drops it
    later = NOW + timedelta(days=1)
    assert await warn_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=later) == 0
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=later) == 0
    assert store.clocks["h-1"].state == "rejected" and store.clocks["h-1"].rejected_at == NOW + timedelta(
        minutes=1
    )
    assert published(store, TOPICS.sla_breached) == published(store, TOPICS.at_risk) == []


async def test_a_rejection_read_before_its_handoff_keeps_the_clock_from_running(store):
    await rejection_reported(rejected("h-1"), MemorySlaUnitOfWork(store))
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert store.clocks["h-1"].state == "rejected" and store.clocks["h-1"].due_at is not None
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(days=1)) == 0


async def test_a_rejection_after_the_breach_leaves_the_breach_standing(store):
    await start_clocks([qualified("h-1")], MemorySlaUnitOfWork(store), TOPICS, POLICIES)
    assert await breach_due_handoffs(MemorySlaUnitOfWork(store), TOPICS, 10, at=NOW + timedelta(hours=1)) == 1
    await rejection_reported(rejected("h-1", NOW + timedelta(hours=2)), MemorySlaUnitOfWork(store))
    assert store.clocks["h-1"].state == "breached" and store.clocks["h-1"].rejected_at is None
