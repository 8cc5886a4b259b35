"""Routing's handlers on the memory twin of its storage (tests/contract holds the twin to PostgreSQL's
behaviour): hand-offs, escalation, contact, outcomes, consent and erasure, with no database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import HandoffBreached, LeadContacted
from leadrelay.events.lead import Company, ConsentChanged, Contact, LeadErased
from leadrelay.events.scoring import LeadOutcome, LeadScored, LeadSnapshot
from leadrelay.events.sla import POLICIES_KEY, SlaPoliciesActivated
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.adapters.memory import MemoryRoutingUnitOfWork, RoutingStore
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.handoff import Account
from leadrelay.routing.handlers import (
    adopt_sla_policies,
    apply_consent,
    erase_lead,
    escalate_breach,
    handoff_id_for,
    record_contact,
    record_outcome,
    route_scored_leads,
)
from leadrelay.routing.settings import SEED_CONFIG
from leadrelay.sla_policies import PolicySet

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday afternoon: the seed's reps are working
TOPICS = Topics()


@pytest.fixture
def config() -> RoutingConfig:
    document = load_config(SEED_CONFIG).model_dump(mode="json")
    for rep in document["reps"]:
        rep["concurrent_cap"] = {"rep-ada": 2, "rep-grace": 1}.get(rep["id"])
    return RoutingConfig.model_validate(document)


@pytest.fixture
def store() -> RoutingStore:
    return RoutingStore()


def scored(lead_id: str, *, stage: str = "sql", email: str | None = None, size: str = "1000+") -> Envelope:
    data = LeadScored(
        lead_id=lead_id, score=80, fit=70, engagement=10, grade="A1", stage=stage, ruleset_version="test",
        source="referral",
        lead=LeadSnapshot(contact=Contact(email=email or f"{lead_id}@example.com"), company=Company(size=size)),
    )  # fmt: skip
    return new_event(data, source="leadrelay/scoring", subject=lead_id)


def owners(store: RoutingStore) -> dict[str, str]:
    return {h.lead_id: h.owner_id for h in store.handoffs.values() if h.attempt == 1}


def published(store: RoutingStore, topic: str) -> list[dict]:
    return [json.loads(row["value"]) for row in store.messaging.published if row["topic"] == topic]


async def test_a_batch_keeps_caps_turns_and_once_only_handoffs(store, config):
    leads = [scored(f"lead-{i}") for i in range(1, 6)]
    batch = [*leads, leads[1], scored("lead-1"), scored("nurture", stage="mql")]
    await route_scored_leads(batch, MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    await route_scored_leads([scored("lead-6")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    assert owners(store) == {
        "lead-1": "rep-ada", "lead-2": "rep-grace", "lead-3": "rep-ada", "lead-4": "rep-alan",
        "lead-5": "rep-katherine", "lead-6": "rep-alan",
    }  # fmt: skip
    recorded = sorted((d.lead_id, d.trace["why"]) for d in store.decisions if not d.handed_off)
    assert recorded == [
        ("lead-1", "already handed off to rep-ada in enterprise"),
        ("nurture", "stage mql is not handed off"),
    ]
    assert Counter(row["key"] for row in store.messaging.published) == dict.fromkeys(owners(store), 2)


async def test_an_account_owner_gets_the_lead_and_a_returning_person_their_earlier_rep(store, config):
    store.accounts["acme"] = Account("Acme", "rep-katherine", "acme.example")
    await route_scored_leads(
        [scored("by-domain", email="kim@acme.example"), scored("first", email="bo@else.example")],
        MemoryRoutingUnitOfWork(store), config, TOPICS, NOW,
    )  # fmt: skip
    await route_scored_leads(
        [scored("again", email="BO@else.example")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW
    )
    assert owners(store)["by-domain"] == "rep-katherine"
    assert owners(store)["again"] == owners(store)["first"]
    rules = {d.lead_id: d.rule for d in store.decisions}
    assert rules["by-domain"].startswith("match: account_owner") and rules["again"].startswith(
        "match: previous_owner"
    )


async def test_a_breach_reassigns_once_up_the_ladder_and_a_stale_one_is_ignored(store, config):
    await route_scored_leads([scored("lead-1")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    [first] = store.handoffs.values()

    def breach(handoff_id: str, attempt: int) -> Envelope:
        data = HandoffBreached(
            handoff_id=handoff_id, lead_id="lead-1", owner_id=first.owner_id, queue=first.queue,
            due_at=NOW, breached_at=NOW + timedelta(minutes=5), overdue_seconds=300, attempt=attempt,
        )  # fmt: skip
        return new_event(data, source="leadrelay/sla-monitor", subject="lead-1")

    later = NOW + timedelta(minutes=5)
    await escalate_breach(breach(first.handoff_id, 1), MemoryRoutingUnitOfWork(store), config, TOPICS, later)
    await escalate_breach(breach(first.handoff_id, 1), MemoryRoutingUnitOfWork(store), config, TOPICS, later)
    handoffs = sorted(store.handoffs.values(), key=lambda h: h.attempt)
    assert [(h.attempt, h.state) for h in handoffs] == [(1, "reassigned"), (2, "open")]
    assert handoffs[1].handoff_id == handoff_id_for("lead-1", 2) and handoffs[1].owner_id != first.owner_id
    assert handoffs[0].reason == "first-contact deadline breached"
    assert [e["data"]["attempt"] for e in published(store, TOPICS.qualified)] == [1, 2]


async def test_contact_and_outcomes_close_handoffs_and_consent_reaches_a_later_handoff(store, config):
    await route_scored_leads(
        [scored("lead-1"), scored("lead-2")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW
    )
    one = next(h for h in store.handoffs.values() if h.lead_id == "lead-1")
    contacted = LeadContacted(handoff_id=one.handoff_id, lead_id="lead-1", channel="phone", at=NOW)
    await record_contact(
        new_event(contacted, source="crm", subject="lead-1"), MemoryRoutingUnitOfWork(store), NOW
    )
    outcome = LeadOutcome(lead_id="lead-2", outcome="won", at=NOW)
    await record_outcome(
        new_event(outcome, source="crm", subject="lead-2"), MemoryRoutingUnitOfWork(store), NOW
    )
    consent = ConsentChanged(lead_id="lead-1", marketing=False, channel="opt_out", at=NOW)
    await apply_consent(
        new_event(consent, source="capture", subject="lead-1"), MemoryRoutingUnitOfWork(store)
    )
    states = {h.lead_id: (h.state, h.reason) for h in store.handoffs.values()}
    assert states == {"lead-1": ("contacted", None), "lead-2": ("closed", "outcome: won")}
    assert store.leads["lead-1"].scored.lead.marketing_consent is False


async def test_an_erased_lead_is_forgotten_and_its_late_scores_are_not_routed(store, config):
    await route_scored_leads([scored("lead-1")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    erased = new_event(LeadErased(lead_id="lead-1"), source="capture", subject="lead-1")
    await erase_lead(erased, MemoryRoutingUnitOfWork(store))
    await erase_lead(erased, MemoryRoutingUnitOfWork(store))  # redelivered
    await route_scored_leads([scored("lead-1")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    assert "lead-1" not in store.leads and store.messaging.published == []
    assert {d.trace.get("erased") for d in store.decisions} == {True} and len(store.decisions) == 1


def activated(policies: dict, at: datetime) -> Envelope:
    data = SlaPoliciesActivated(policies=PolicySet.model_validate(policies), activated_at=at)
    return new_event(data, source="leadrelay/sla-monitor", subject=POLICIES_KEY, time=at)


OFFICE_HOURS = {
    "version": "office",
    "calendars": {
        "london": {
            "timezone": "Europe/London",
            "working_hours": {"mon": ["09:00-17:30"], "tue": ["09:00-17:30"]},
        }
    },
    "policies": [
        {
            "name": "enterprise-first-contact",
            "clock": "business_hours",
            "calendar": "london",
            "deadlines": {"A": 60},
        }
    ],
}


async def test_a_handoff_states_the_deadline_of_the_sla_policies_last_announced(store, config):
    await route_scored_leads([scored("early")], MemoryRoutingUnitOfWork(store), config, TOPICS, NOW)
    await adopt_sla_policies(activated(OFFICE_HOURS, NOW), MemoryRoutingUnitOfWork(store))
    older = {**OFFICE_HOURS, "version": "older", "policies": [{"name": "x", "deadlines": {"A": 1}}]}
    await adopt_sla_policies(activated(older, NOW - timedelta(days=1)), MemoryRoutingUnitOfWork(store))
    evening = NOW.replace(hour=17)  # Monday 17:00 in London: 30 business minutes left today
    await route_scored_leads([scored("late")], MemoryRoutingUnitOfWork(store), config, TOPICS, evening)
    due = {e["data"]["lead_id"]: e["data"]["sla"]["due_at"] for e in published(store, TOPICS.qualified)}
    assert due["early"] is None  # before any policies were heard of: the SLA monitor's clock decides alone
    # the rest of the hour on Tuesday morning, business hours of the policy's calendar, not routing's own minutes
    assert datetime.fromisoformat(due["late"]) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    [record] = [d for d in store.decisions if d.lead_id == "late"]
    assert record.due_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
