"""Scoring's event handlers."""

from __future__ import annotations

from datetime import datetime

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.lead import LeadCaptured, LeadSnapshot
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
    result = score_lead(data.model_dump(mode="json"), ruleset)
    reasons = reasons_of(result)
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()  # keep the inbox claim of a late event about an erased lead
            return
        await uow.scores.save(data.lead_id, data.source, result, [r.model_dump() for r in reasons], now)
        scored = LeadScored(
            lead_id=data.lead_id,
            score=result.score,
            fit=result.fit,
            engagement=result.engagement,
            grade=result.grade,
            stage=result.stage,
            reasons=reasons,
            ruleset_version=result.ruleset_version,
            source=data.source,
            lead=LeadSnapshot(contact=data.contact, company=data.company, message=data.message),
        )
        uow.outbox.add(new_event(scored, source=SOURCE, subject=data.lead_id), topics.scored)
        await uow.commit()


async def erase_lead(event: Envelope, uow: ScoringUnitOfWork) -> None:
    """Forget an erased lead: its score and every event about it still in the outbox."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.scores.forget(lead_id)
        await uow.outbox.forget(lead_id)
        await uow.commit()
