"""One contract for scoring's storage, run on PostgreSQL and on its memory twin: the twin that handler tests
use cannot drift from the database the service runs on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured
from leadrelay.events.scoring import Reason
from leadrelay.scoring.adapters.memory import MemoryScoringUnitOfWork, ScoringStore
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork
from leadrelay.scoring.bootstrap import MIGRATIONS
from leadrelay.scoring.domain.facts import Activity, LeadFacts
from leadrelay.scoring.ports import ScoringUnitOfWork
from leadrelay.scoring.scorer import assess
from leadrelay.scoring.settings import DEFAULT_RULESET

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
RULES = load_ruleset(DEFAULT_RULESET)


@pytest.fixture(params=["postgres", "memory"])
async def new_uow(request, open_database) -> Callable[[], ScoringUnitOfWork]:
    if request.param == "memory":
        store = ScoringStore()
        return lambda: MemoryScoringUnitOfWork(store)
    sessions = session_factory(await open_database("scoring", MIGRATIONS))
    return lambda: PostgresScoringUnitOfWork(sessions)


def facts(lead_id: str, size: str = "1000+", title: str = "CTO") -> LeadFacts:
    lead = LeadCaptured(
        lead_id=lead_id, source="referral", completeness="complete",
        contact=Contact(email=f"{lead_id}@example.com", title=title), company=Company(size=size),
        consent=Consent(purposes=["contact"]),
    )  # fmt: skip
    return LeadFacts.of_capture(lead, T0, None)


async def test_facts_and_activities_are_kept_per_lead_and_forgotten(new_uow):
    async with new_uow() as uow:
        await uow.leads.remember_many([facts("a"), facts("b")], T0)
        await uow.leads.remember_many([facts("a", title="CEO")], T0)
        await uow.leads.add_activity("e1", "a", "demo_request", T0)
        await uow.leads.add_activity("e1", "a", "demo_request", T0)  # the same event again
        await uow.leads.add_activity("e2", "b", "page_view", T0 + timedelta(minutes=1))
        await uow.commit()
    async with new_uow() as uow:
        assert (await uow.leads.facts("a")) == facts("a", title="CEO")
        assert set(await uow.leads.facts_of(["a", "b", "c"])) == {"a", "b"}
        assert await uow.leads.facts("c") is None
        assert await uow.leads.activities("a") == [Activity("demo_request", T0)]
        assert await uow.leads.activities_of(["a", "c"]) == {"a": [Activity("demo_request", T0)], "c": []}
        await uow.leads.forget("a")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.leads.facts("a") is None and await uow.leads.activities("a") == []
        assert await uow.leads.facts("b") is not None


async def test_a_score_is_stored_as_announced_counted_and_remembers_when_it_first_became_sql(new_uow):
    sql = assess(facts("a").document, [], T0, RULES, None)
    low = assess(facts("a", size="1-10", title="Intern").document, [], T0, RULES, None)
    assert sql.result.stage == "sql" and low.result.stage != "sql"
    async with new_uow() as uow:
        await uow.scores.save_many([("a", "referral", sql)], T0)
        await uow.commit()
    async with new_uow() as uow:
        await uow.scores.save_many([("a", "referral", low)], T0 + timedelta(hours=1))
        await uow.commit()
    async with new_uow() as uow:
        score = await uow.scores.get("a")
        assert await uow.scores.get_many(["a", "b"]) == {"a": score}
        assert await uow.scores.count() == 1
    assert (score.times_scored, score.stage, score.sql_at, score.scored_at) == (
        2,
        low.result.stage,
        T0,
        T0 + timedelta(hours=1),
    )
    assert score.headline == (low.result.score, low.result.grade, low.result.stage)
    assert score.reasons == [r.model_dump(mode="json", exclude_none=True) for r in low.reasons()]
    assert score.source == "referral" and score.ruleset_version == RULES.version


async def test_a_rejected_lead_returns_to_nurture_with_the_reason_first(new_uow):
    async with new_uow() as uow:
        await uow.scores.save_many([("a", "referral", assess(facts("a").document, [], T0, RULES, None))], T0)
        await uow.commit()
    returned = Reason(factor="returned by sales", text="returned to nurture by sales: no budget")
    async with new_uow() as uow:
        before = await uow.scores.get("a")
        await uow.scores.return_to_nurture(
            "a", [returned, *(Reason.model_validate(r) for r in before.reasons)], T0
        )
        await uow.scores.forget("nobody")
        await uow.commit()
    async with new_uow() as uow:
        after = await uow.scores.get("a")
    assert (after.stage, after.times_scored, after.sql_at) == ("nurture", 2, T0)
    assert after.reasons[0] == {
        "factor": "returned by sales",
        "text": "returned to nurture by sales: no budget",
    }


async def test_outcomes_keep_the_latest_per_lead_in_time_order_and_count_what_arrived_since(new_uow):
    async with new_uow() as uow:
        await uow.outcomes.record("a", "lost", None, T0 + timedelta(days=2), {"size": "1000+"}, T0)
        await uow.outcomes.record(
            "a", "won", 900.0, T0 + timedelta(days=3), {"size": "1000+"}, T0 + timedelta(hours=1)
        )
        await uow.outcomes.record(
            "a", "lost", None, T0 + timedelta(days=1), {"size": "1000+"}, T0 + timedelta(hours=2)
        )
        await uow.outcomes.record("b", "lost", None, T0, {"size": None}, T0 + timedelta(hours=3))
        await uow.commit()
    async with new_uow() as uow:
        examples = await uow.outcomes.all()
        assert [(e.outcome, e.at) for e in examples] == [("lost", T0), ("won", T0 + timedelta(days=3))]
        assert examples[1].features == {"size": "1000+"}
        assert await uow.outcomes.count_since(None) == 2
        assert await uow.outcomes.count_since(T0 + timedelta(minutes=30)) == 2
        assert await uow.outcomes.count_since(T0 + timedelta(hours=2)) == 1
        await uow.outcomes.forget("a")
        await uow.commit()
    async with new_uow() as uow:
        assert [e.outcome for e in await uow.outcomes.all()] == ["lost"]


async def test_nothing_is_kept_without_commit(new_uow):
    async with new_uow() as uow:
        await uow.leads.remember_many([facts("a")], T0)
        await uow.tombstones.bury("a")
    async with new_uow() as uow:
        assert await uow.leads.facts("a") is None and not await uow.tombstones.is_erased("a")
