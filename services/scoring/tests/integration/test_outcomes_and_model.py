"""Outcomes flow back into scoring: retraining by itself and on demand, and the served model in LeadScored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured
from leadrelay.events.scoring import LeadOutcome
from leadrelay.scoring.adapters.orm import outcomes
from leadrelay.scoring.bootstrap import MIGRATIONS, build_app
from leadrelay.scoring.settings import ScoringSettings

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
LEADS = 60


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> ScoringSettings:
    database = await create_database("scoring", MIGRATIONS)
    return ScoringSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **role_keys(),
        retrain_after_outcomes=40,
        retrain_activate_min_auc=0.7,
    )


def history_lead(i: int) -> LeadCaptured:
    """Past leads: referrals from executives were won, imports of analysts were lost."""
    referral = i % 2 == 0
    return LeadCaptured(
        lead_id=f"past-{i}",
        source="referral" if referral else "import",
        completeness="complete" if referral else "partial",
        contact=Contact(email=f"past{i}@acme.example", title="CEO" if referral else "Analyst"),
        company=Company(size="201-1000" if i % 3 else "11-50"),
        consent=Consent(purposes=["contact"]),
    )


async def count_outcomes(settings: ScoringSettings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(outcomes)) or 0)
    finally:
        await engine.dispose()


async def outcome_models(client) -> list[dict]:
    listed = (await client.get("/v1/models", headers=ADMIN)).json()
    return [m for m in listed if m["training"]["source"] == "outcomes"]


async def test_outcomes_retrain_a_model_that_then_scores_and_explains_new_leads(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    for i in range(LEADS):
        lead = history_lead(i)
        await produce(bs, topics.captured, encode(new_event(lead, source="capture", subject=lead.lead_id)))
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        too_early = await client.post("/v1/models/retrain", headers=ADMIN)
        assert too_early.status_code == 409 and "too few outcomes" in too_early.json()["detail"]

        async def all_scored():
            response = await client.get(f"/v1/scores/past-{LEADS - 1}")
            return response.status_code == 200

        await wait_until(all_scored, what="the past leads scored", timeout_s=30)
        for i in range(LEADS):
            outcome = LeadOutcome(
                lead_id=f"past-{i}", outcome="won" if i % 2 == 0 else "lost", at=datetime.now(UTC)
            )
            await produce(
                bs, topics.outcomes, encode(new_event(outcome, source="crm", subject=outcome.lead_id))
            )
        await wait_until(
            lambda: _equals(count_outcomes(settings), LEADS), what="outcomes recorded", timeout_s=30
        )
        # 40 outcomes since the last model trained on outcomes: scoring retrained by itself
        automatic = await wait_until(
            lambda: outcome_models(client), what="a model retrained by itself", timeout_s=60
        )
        assert automatic[0]["training"]["rows"] >= 40
        # and on demand
        retrained = await client.post("/v1/models/retrain", headers=ADMIN)
        assert retrained.status_code == 201, retrained.text
        version = retrained.json()["version"]
        assert retrained.json()["active"] is True and retrained.json()["rows"] == LEADS
        models = await outcome_models(client)
        assert models[0]["version"] == version and len(models) >= 2
        newest = models[0]
        assert newest["active"] is True and newest["feature_map"]["name"] == "native"
        assert newest["metrics"]["roc_auc"] > 0.9 and {"pr_auc", "brier", "calibration"} <= set(
            newest["metrics"]
        )
        # outcomes in time order: the latest fifth is held out, and that figure decided the activation
        assert newest["metrics"]["temporal"]["test_rows"] == LEADS // 5
        assert newest["metrics"]["temporal"]["roc_auc"] >= 0.7
        # every registration and activation is in the audit, with who made it
        audit = (await client.get("/v1/audit", headers=ADMIN)).json()
        registered = {e["subject"]: e["actor"] for e in audit if e["action"] == "model_registered"}
        assert registered[automatic[0]["version"]] == "retraining"
        assert registered[version].startswith("admin key ")
        activated = [e for e in audit if e["action"] == "model_activated"]
        previous = automatic[0]["version"] if automatic[0]["active"] else None
        assert activated[0]["subject"] == version and activated[0]["detail"] == {"previous": previous}
        # a new lead is scored with the model's probability, and its reasons join rules and model
        async with TopicReader(bs, topics.scored) as reader:
            hot = history_lead(1000)
            hot = hot.model_copy(update={"lead_id": "fresh-hot"})
            await produce(bs, topics.captured, encode(new_event(hot, source="capture", subject="fresh-hot")))

            async def fresh():
                return [
                    m.json()["data"] for m in reader.messages if m.json()["data"]["lead_id"] == "fresh-hot"
                ] or (await reader.poll() and None)

            [scored] = await wait_until(fresh, what="LeadScored of the fresh lead", timeout_s=30)
    assert scored["model_version"] == version
    assert scored["probability"] > 0.5
    reasons = [r["text"] for r in scored["reasons"]]
    assert "+25 source: referral" in reasons
    assert any(t.startswith("model: ") and "raised the probability from" in t for t in reasons), reasons
    stored = await _score(settings, "fresh-hot")
    assert stored["probability"] == scored["probability"] and stored["model_version"] == version


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


async def _score(settings, lead_id):
    from leadrelay.scoring.adapters.orm import scores

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return dict(
                (await conn.execute(select(scores).where(scores.c.lead_id == lead_id))).mappings().one()
            )
    finally:
        await engine.dispose()
