"""Scoring's event handlers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.lead import LeadActivity, LeadCaptured, LeadSnapshot
from leadrelay.events.scoring import LeadScored, Reason
from leadrelay.scoring.adapters.uow import ScoringUnitOfWork
from leadrelay.scoring.domain.rules import RuleSet, ScoreResult, score_lead

SOURCE = "leadrelay/scoring"


def reasons_of(result: ScoreResult) -> list[Reason]:
    """Turn rule contributions into reasons a sales rep can read ("+25 source: referral")."""
    return [
        Reason(factor=c.factor, points=c.points, text=f"{c.points:+g} {c.text}")
        for c in sorted(result.contributions, key=lambda c: -abs(c.points))
    ]


async def score_captured_lead(
    event: Envelope, uow: ScoringUnitOfWork, ruleset: RuleSet, topics: Topics, now: datetime
) -> None:
    """Score a captured lead once (redeliveries are ignored) and queue LeadScored."""
    data: LeadCaptured = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()  # keep the inbox claim of a late event about an erased lead
            return
        facts = data.model_dump(mode="json")
        await uow.leads.remember(data.lead_id, facts, now)
        await _score(uow, data.lead_id, facts, ruleset, topics, now)
        await uow.commit()


async def score_activity(
    event: Envelope, uow: ScoringUnitOfWork, ruleset: RuleSet, topics: Topics, now: datetime
) -> None:
    """Re-score a lead on new engagement (which can promote it); an activity before the capture waits for it."""
    data: LeadActivity = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()
            return
        await uow.leads.add_activity(event.id, data.lead_id, data.kind, data.at)
        facts = await uow.leads.facts(data.lead_id)
        if facts is not None:
            await _score(uow, data.lead_id, facts, ruleset, topics, now)
        await uow.commit()


async def _score(
    uow: ScoringUnitOfWork,
    lead_id: str,
    facts: dict[str, Any],
    ruleset: RuleSet,
    topics: Topics,
    now: datetime,
) -> None:
    """Score the lead's facts with its activities, store the score and queue LeadScored."""
    captured = LeadCaptured.model_validate(facts)
    result = score_lead(facts, ruleset, await uow.leads.activities(lead_id), now)
    reasons = reasons_of(result)
    await uow.scores.save(lead_id, captured.source, result, [r.model_dump() for r in reasons], now)
    scored = LeadScored(
        lead_id=lead_id,
        score=result.score,
        fit=result.fit,
        engagement=result.engagement,
        grade=result.grade,
        stage=result.stage,
        reasons=reasons,
        ruleset_version=result.ruleset_version,
        source=captured.source,
        lead=LeadSnapshot(contact=captured.contact, company=captured.company, message=captured.message),
    )
    uow.outbox.add(new_event(scored, source=SOURCE, subject=lead_id), topics.scored)


async def erase_lead(event: Envelope, uow: ScoringUnitOfWork) -> None:
    """Forget an erased lead: its score and every event about it still in the outbox."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.scores.forget(lead_id)
        await uow.leads.forget(lead_id)
        await uow.outbox.forget(lead_id)
        await uow.commit()
