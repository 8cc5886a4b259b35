"""A rejected or lost lead that qualifies again goes back to sales after its cool-down, to its previous owner
when that rep is eligible, unless its rejection's reason bars it; the escalation ladder starts afresh."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from leadrelay.events import Envelope, new_event
from leadrelay.events.handoff import HandoffBreached
from leadrelay.events.scoring import LeadOutcome
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.adapters.memory import MemoryRoutingUnitOfWork, RoutingStore
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.handoff import Handoff
from leadrelay.routing.handlers import escalate_breach, handoff_id_for, record_outcome, route_scored_leads
from leadrelay.routing.settings import SEED_CONFIG

from .test_handlers import NOW, TOPICS, scored

COOL_DOWN = timedelta(hours=72)


@pytest.fixture
def config() -> RoutingConfig:
    return load_config(SEED_CONFIG)


@pytest.fixture
def store() -> RoutingStore:
    return RoutingStore()


async def route(store: RoutingStore, config: RoutingConfig, *events: Envelope, at=NOW) -> None:
    await route_scored_leads(list(events), MemoryRoutingUnitOfWork(store), config, TOPICS, at)


def of_lead(store: RoutingStore, lead_id: str = "lead-1") -> list[Handoff]:
    return sorted((h for h in store.handoffs.values() if h.lead_id == lead_id), key=lambda h: h.attempt)


def reject(store: RoutingStore, reason: str, at=NOW) -> Handoff:
    latest = of_lead(store)[-1]
    store.handoffs[latest.handoff_id] = latest.reject(at, reason)
    return latest


def why(store: RoutingStore) -> list[str]:
    return [d.trace["why"] for d in store.decisions if not d.handed_off]


async def test_a_rejected_lead_waits_out_its_cool_down_then_goes_back_to_its_previous_owner(store, config):
    await route(store, config, scored("lead-1"))
    first = reject(store, "budget next quarter")
    await route(store, config, scored("lead-1"), at=NOW + COOL_DOWN - timedelta(minutes=1))
    assert len(of_lead(store)) == 1 and "cooling down until" in why(store)[-1]
    back = NOW + COOL_DOWN + timedelta(hours=1)  # a Thursday afternoon: the seed's reps are working
    await route(store, config, scored("lead-1"), at=back)
    again = of_lead(store)[-1]
    assert (again.attempt, again.state, again.owner_id) == (2, "open", first.owner_id)
    assert again.handoff_id == handoff_id_for("lead-1", 2)
    published = [json.loads(r["value"]) for r in store.messaging.published if r["topic"] == TOPICS.qualified]
    event = published[-1]
    assert event["data"]["requalified"] is True and event["data"]["attempt"] == 2
    [decision] = [d for d in store.decisions if d.attempt == 2]
    previous = decision.trace["requalified"]["previous"]
    assert (previous["state"], previous["reason"], previous["owner"]) == (
        "rejected",
        "budget next quarter",
        first.owner_id,
    )
    assert decision.rule is not None and decision.rule.startswith("match: previous_owner")
    # a repeat score now that it is back with sales hands nothing off
    await route(store, config, scored("lead-1"), at=back + timedelta(minutes=1))
    assert len(of_lead(store)) == 2 and why(store)[-1].startswith("already handed off")


async def test_a_barring_reason_keeps_the_lead_from_sales_for_its_period(store, config):
    await route(store, config, scored("lead-1"))
    reject(store, "Wrong person: the intern filled it in")
    await route(store, config, scored("lead-1"), at=NOW + timedelta(days=30))
    assert len(of_lead(store)) == 1 and "barred until" in why(store)[-1]
    await route(store, config, scored("lead-1"), at=NOW + timedelta(days=366, hours=-1))
    assert [h.attempt for h in of_lead(store)] == [1, 2]


async def test_a_lost_lead_comes_back_and_a_won_one_never(store, config):
    await route(store, config, scored("lead-1"), scored("lead-2"))
    for lead, outcome in (("lead-1", "lost"), ("lead-2", "won")):
        data = LeadOutcome(
            lead_id=lead, outcome=outcome, reason="price" if outcome == "lost" else None, at=NOW
        )
        await record_outcome(new_event(data, source="crm", subject=lead), MemoryRoutingUnitOfWork(store), NOW)
    later = NOW + COOL_DOWN + timedelta(hours=1)
    await route(store, config, scored("lead-1"), scored("lead-2"), at=later)
    assert [h.attempt for h in of_lead(store, "lead-1")] == [1, 2]
    assert [h.attempt for h in of_lead(store, "lead-2")] == [1]


async def test_the_escalation_ladder_starts_afresh_after_a_requalification(store, config):
    await route(store, config, scored("lead-1"))
    first = reject(store, "call me next week")
    later = NOW + COOL_DOWN + timedelta(hours=1)
    await route(store, config, scored("lead-1"), at=later)
    again = of_lead(store)[-1]
    data = HandoffBreached(
        handoff_id=again.handoff_id, lead_id="lead-1", owner_id=again.owner_id, queue=again.queue,
        due_at=later, breached_at=later, overdue_seconds=60, attempt=again.attempt,
    )  # fmt: skip
    breach = new_event(data, source="leadrelay/sla-monitor", subject="lead-1")
    await escalate_breach(
        breach, MemoryRoutingUnitOfWork(store), config, TOPICS, later + timedelta(minutes=5)
    )
    third = of_lead(store)[-1]
    # the next rep of the queue, as a first breach gets, not yet the manager; never the reps who had it
    manager = config.queue(third.queue).manager
    assert third.attempt == 3 and third.owner_id not in (first.owner_id, manager)
    assert third.owner_id.startswith("rep-")
