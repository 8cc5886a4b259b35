"""Scoring's handlers on the memory twin of its storage (tests/contract holds the twin to PostgreSQL's
behaviour): captures, activities, rejections, consent, outcomes and erasure, with no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.events import Topics, new_event
from leadrelay.events.handoff import HandoffRejected
from leadrelay.events.lead import (
    Company,
    Consent,
    ConsentChanged,
    Contact,
    LeadActivity,
    LeadCaptured,
    LeadErased,
)
from leadrelay.events.scoring import LeadOutcome
from leadrelay.scoring.adapters.memory import MemoryScoringUnitOfWork, ScoringStore
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.handlers import (
    apply_consent,
    erase_lead,
    record_outcome,
    return_to_nurture,
    score_activity,
    score_captured_leads,
)
from leadrelay.scoring.model.features import load_feature_map
from leadrelay.scoring.scorer import Scoring
from leadrelay.scoring.settings import DEFAULT_RULESET

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TOPICS = Topics()
SCORING = Scoring(load_ruleset(DEFAULT_RULESET))


@pytest.fixture
def store() -> ScoringStore:
    return ScoringStore()


def captured(lead_id: str, size: str = "1000+", is_new: bool = True, marketing: bool | None = True):
    lead = LeadCaptured(
        lead_id=lead_id, is_new=is_new, source="referral", completeness="complete",
        contact=Contact(email=f"{lead_id}@example.com", title="CTO"), company=Company(size=size),
        consent=Consent(purposes=["contact"], marketing=marketing),
    )  # fmt: skip
    return new_event(lead, source="leadrelay/capture", subject=lead_id)


def announced(store: ScoringStore) -> list[dict]:
    return [
        json.loads(row["value"])["data"] for row in store.messaging.published if row["topic"] == TOPICS.scored
    ]


async def test_a_batch_scores_each_event_once_and_a_repeat_after_the_first(store):
    first, repeat = captured("a", size="1-10"), captured("a", is_new=False)
    store.messaging.erased.add("gone")
    await score_captured_leads(
        [first, captured("b"), first, captured("gone"), repeat],
        MemoryScoringUnitOfWork(store),
        SCORING,
        TOPICS,
        NOW,
    )
    assert {k: s.times_scored for k, s in store.scores.items()} == {"a": 2, "b": 1}
    assert store.facts["a"].document["captured_at"] == first.time.isoformat()
    assert store.facts["a"].document["is_new"] is False
    assert [d["lead_id"] for d in announced(store)] == ["a", "b", "a"]
    assert announced(store)[2]["previous_stage"] == announced(store)[0]["stage"]


async def test_an_activity_rescores_a_known_lead_and_waits_for_an_unknown_one(store):
    await score_captured_leads(
        [captured("a", size="1-10")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW
    )
    before = store.scores["a"].score
    for lead in ("a", "later"):
        activity = LeadActivity(lead_id=lead, kind="demo_request", at=NOW)
        await score_activity(
            new_event(activity, source="web", subject=lead),
            MemoryScoringUnitOfWork(store),
            SCORING,
            TOPICS,
            NOW,
        )
    assert store.scores["a"].score > before and "later" not in store.scores
    await score_captured_leads([captured("later")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW)
    assert store.scores["later"].engagement > 0


async def test_a_rejection_returns_the_lead_to_nurture_with_the_reason(store):
    await score_captured_leads([captured("a")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW)
    rejected = HandoffRejected(
        handoff_id="h", lead_id="a", owner_id="rep", queue="smb", attempt=1, reason="no budget", at=NOW
    )
    await return_to_nurture(
        new_event(rejected, source="routing", subject="a"), MemoryScoringUnitOfWork(store), TOPICS, NOW
    )
    last = announced(store)[-1]
    assert (last["stage"], last["previous_stage"]) == ("nurture", "sql")
    assert last["reasons"][0]["text"] == "returned to nurture by sales: no budget"
    assert store.scores["a"].stage == "nurture" and last["lead"]["contact"]["email"] == "a@example.com"


async def test_consent_reaches_later_scores_and_outcomes_learn_only_from_before_sales(store):
    await score_captured_leads([captured("a")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW)
    consent = ConsentChanged(lead_id="a", marketing=False, channel="opt_out", at=NOW)
    await apply_consent(
        new_event(consent, source="capture", subject="a"), MemoryScoringUnitOfWork(store), NOW
    )
    assert store.facts["a"].document["consent"]["marketing"] is False
    late = LeadActivity(lead_id="a", kind="demo_request", at=NOW + timedelta(days=1))  # after it became sql
    await score_activity(
        new_event(late, source="web", subject="a"), MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW
    )
    assert announced(store)[-1]["lead"]["marketing_consent"] is False
    outcome = LeadOutcome(lead_id="a", outcome="won", at=NOW + timedelta(days=2))
    features = load_feature_map("native")
    recorded = await record_outcome(
        new_event(outcome, source="crm", subject="a"), MemoryScoringUnitOfWork(store), features, NOW
    )
    unknown = LeadOutcome(lead_id="crm-only", outcome="lost", at=NOW)
    ignored = await record_outcome(
        new_event(unknown, source="crm", subject="x"), MemoryScoringUnitOfWork(store), features, NOW
    )
    assert recorded and not ignored
    [example] = store.outcomes.values()
    assert example.example.outcome == "won" and example.example.features  # columns as known before sales


async def test_an_erased_lead_is_forgotten_everywhere(store):
    await score_captured_leads([captured("a")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW)
    erased = new_event(LeadErased(lead_id="a"), source="capture", subject="a")
    await erase_lead(erased, MemoryScoringUnitOfWork(store))
    await score_captured_leads([captured("a")], MemoryScoringUnitOfWork(store), SCORING, TOPICS, NOW)
    assert store.scores == {} and store.facts == {} and store.messaging.published == []
