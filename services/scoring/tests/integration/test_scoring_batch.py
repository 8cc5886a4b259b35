"""A batch of captured leads scored in one transaction: each event once, a repeat submission of a lead in
the same batch scored after the first (it counts twice and keeps the first capture time), erased leads
left alone, one LeadScored per scoring."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from leadrelay.db.engine import session_factory
from leadrelay.devkit.testing.plugin import rows
from leadrelay.events import Topics, new_event
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork as ScoringUnitOfWork
from leadrelay.scoring.bootstrap import MIGRATIONS
from leadrelay.scoring.handlers import score_captured_leads
from leadrelay.scoring.scorer import Scoring
from leadrelay.scoring.settings import DEFAULT_RULESET

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def captured(lead_id: str, size: str = "1000+", is_new: bool = True):
    lead = LeadCaptured(
        lead_id=lead_id,
        is_new=is_new,
        source="referral",
        completeness="complete",
        contact=Contact(email=f"{lead_id}@example.com", title="CTO"),
        company=Company(size=size),
        consent=Consent(purposes=["contact"]),
    )
    return new_event(lead, source="leadrelay/capture", subject=lead_id)


@pytest.fixture
async def scoring_db(open_database):
    return await open_database("scoring", MIGRATIONS)


async def test_a_batch_scores_each_event_once_and_a_repeat_after_the_first(scoring_db):
    sessions = session_factory(scoring_db)
    scoring = Scoring(load_ruleset(DEFAULT_RULESET))
    async with scoring_db.begin() as conn:
        await conn.execute(text("INSERT INTO erased_leads (lead_id) VALUES ('gone')"))
    first, other, repeat = captured("a", size="1-10"), captured("b"), captured("a", is_new=False)
    batch = [first, other, first, captured("gone"), repeat]

    await score_captured_leads(batch, ScoringUnitOfWork(sessions), scoring, Topics(), NOW)

    assert await rows(scoring_db, "SELECT lead_id, times_scored FROM scores ORDER BY lead_id") == [
        ("a", 2),
        ("b", 1),
    ]
    [(facts,)] = await rows(scoring_db, "SELECT facts FROM lead_facts WHERE lead_id = 'a'")
    assert facts["captured_at"] == first.time.isoformat() and facts["is_new"] is False
    published = [
        json.loads(value)["data"]
        for (value,) in await rows(scoring_db, "SELECT convert_from(value, 'UTF8') FROM outbox ORDER BY id")
    ]
    assert [(d["lead_id"], d["previous_stage"]) for d in published] == [
        ("a", None),
        ("b", None),
        ("a", published[0]["stage"]),  # the repeat saw the first score
    ]
