"""Scoring's event handlers."""

from __future__ import annotations

from datetime import datetime

from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.handoff import HandoffRejected
from leadrelay.events.lead import ConsentChanged, LeadActivity, LeadCaptured
from leadrelay.events.scoring import LeadOutcome, LeadScored, Reason
from leadrelay.scoring.domain.facts import LeadFacts, snapshot_of
from leadrelay.scoring.domain.score import StoredScore
from leadrelay.scoring.model.features import FeatureMap, features_of
from leadrelay.scoring.ports import ScoringUnitOfWork
from leadrelay.scoring.scorer import Assessment, Scoring, assess

SOURCE = "leadrelay/scoring"


async def score_captured_leads(
    events: list[Envelope], uow: ScoringUnitOfWork, scoring: Scoring, topics: Topics, now: datetime
) -> None:
    """Score captured leads once each (redeliveries are ignored) and queue LeadScored, in one transaction."""
    async with uow:
        claimed = await uow.inbox.claim_many(events)
        erased = await uow.tombstones.erased({e.data.lead_id for e in claimed})
        # Keep a late event about an erased lead claimed; a lead captured twice in the batch (a repeat
        # submission) is scored in a second round that sees the first.
        for round_ in _one_event_per_lead([e for e in claimed if e.data.lead_id not in erased]):
            earlier = await uow.leads.facts_of([e.data.lead_id for e in round_])
            facts = {}
            for event in round_:
                data: LeadCaptured = event.data
                facts[data.lead_id] = LeadFacts.of_capture(data, event.time, earlier.get(data.lead_id))
            await uow.leads.remember_many(list(facts.values()), now)
            await _score_many(uow, facts, scoring, topics, now)
        await uow.commit()


def _one_event_per_lead(events: list[Envelope]) -> list[list[Envelope]]:
    """Split events, in order, into rounds in which each lead appears at most once."""
    rounds: list[list[Envelope]] = []
    seen: set[str] = set()
    for event in events:
        if not rounds or event.data.lead_id in seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(event)
        seen.add(event.data.lead_id)
    return rounds


async def score_activity(
    event: Envelope, uow: ScoringUnitOfWork, scoring: Scoring, topics: Topics, now: datetime
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
            await _score(uow, facts, scoring, topics, now)
        await uow.commit()


async def _score(
    uow: ScoringUnitOfWork,
    facts: LeadFacts,
    scoring: Scoring,
    topics: Topics,
    now: datetime,
    only_if_changed: bool = False,
) -> bool:
    """Score one lead (see _score_many); returns whether its score, grade or stage changed."""
    changed = await _score_many(uow, {facts.lead_id: facts}, scoring, topics, now, only_if_changed)
    return facts.lead_id in changed


async def _score_many(
    uow: ScoringUnitOfWork,
    facts: dict[str, LeadFacts],
    scoring: Scoring,
    topics: Topics,
    now: datetime,
    only_if_changed: bool = False,
) -> set[str]:
    """Score leads' facts (lead id -> facts) with their activities, store the scores and queue LeadScored.

    With only_if_changed (a re-score), an unchanged score, grade and stage emits nothing. Returns the leads
    whose score, grade or stage changed.
    """
    lead_ids = list(facts)
    activities = await uow.leads.activities_of(lead_ids)
    previous = await uow.scores.get_many(lead_ids)
    changed: set[str] = set()
    scored: list[tuple[str, str | None, Assessment]] = []
    for lead_id, lead_facts in facts.items():
        captured = lead_facts.captured()
        assessment = assess(lead_facts.document, activities[lead_id], now, scoring.ruleset, scoring.model)
        result, before = assessment.result, previous.get(lead_id)
        if before is None or before.headline != (result.score, result.grade, result.stage):
            changed.add(lead_id)
        elif only_if_changed:
            continue
        scored.append((lead_id, captured.source, assessment))
        uow.outbox.add(
            new_event(
                scored_event(lead_id, captured, assessment, before, lead_facts.captured_at),
                source=SOURCE,
                subject=lead_id,
            ),
            topics.scored,
        )
    await uow.scores.save_many(scored, now)
    return changed


async def rescore_lead(
    lead_id: str, uow: ScoringUnitOfWork, scoring: Scoring, topics: Topics, now: datetime
) -> bool:
    """Re-score one stored lead inside the caller's transaction; True when its result changed."""
    facts = await uow.leads.facts(lead_id)
    if facts is None:  # erased since the job listed it
        return False
    return await _score(uow, facts, scoring, topics, now, only_if_changed=True)


def scored_event(
    lead_id: str,
    captured: LeadCaptured,
    assessment: Assessment,
    previous: StoredScore | None,
    captured_at: str | None,
) -> LeadScored:
    """Build LeadScored; previous_stage is the stage of the lead's last score, if any."""
    result = assessment.result
    return LeadScored(
        lead_id=lead_id,
        score=result.score,
        fit=result.fit,
        engagement=result.engagement,
        probability=assessment.probability,
        grade=result.grade,
        stage=result.stage,
        previous_stage=previous.stage if previous else None,
        reasons=assessment.reasons(),
        qualification=assessment.checklists(),
        ruleset_version=result.ruleset_version,
        model_version=assessment.model_version,
        source=captured.source,
        lead=snapshot_of(captured),
        captured_at=captured_at,
    )


async def record_outcome(
    event: Envelope, uow: ScoringUnitOfWork, feature_map: FeatureMap, now: datetime
) -> bool:
    """Keep a lead's outcome with its model columns as known before sales had it; True when recorded.

    Activities after the lead first became sql (or after the outcome) are left out: they may be the
    sales conversation itself, which a model must not learn from (it is unknown when a lead arrives).
    """
    data: LeadOutcome = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()
            return False
        facts = await uow.leads.facts(data.lead_id)
        if facts is None:  # a lead scoring never saw (created in the CRM): nothing to learn from
            await uow.commit()
            return False
        score = await uow.scores.get(data.lead_id)
        sql_at = score.sql_at if score else None
        cutoff = min(data.at, sql_at) if sql_at is not None else data.at
        activities = [a for a in await uow.leads.activities(data.lead_id) if a.at <= cutoff]
        features = features_of(feature_map, facts.document, activities, cutoff)
        await uow.outcomes.record(data.lead_id, data.outcome, data.value, data.at, features, now)
        await uow.commit()
    return True


async def return_to_nurture(event: Envelope, uow: ScoringUnitOfWork, topics: Topics, now: datetime) -> None:
    """Sales rejected the handoff: the lead goes back to nurture, and LeadScored says why."""
    data: HandoffRejected = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()
            return
        score = await uow.scores.get(data.lead_id)
        facts = await uow.leads.facts(data.lead_id)
        if score is None or facts is None:
            await uow.commit()
            return
        returned = Reason(factor="returned by sales", text=f"returned to nurture by sales: {data.reason}")
        reasons = [returned, *(Reason.model_validate(r) for r in score.reasons)]
        await uow.scores.return_to_nurture(data.lead_id, reasons, now)
        captured = facts.captured()
        scored = LeadScored(
            lead_id=data.lead_id,
            score=score.score,
            fit=score.fit,
            engagement=score.engagement,
            probability=score.probability,
            grade=score.grade,
            stage="nurture",
            previous_stage=score.stage,
            reasons=reasons,
            qualification=score.qualification or [],
            ruleset_version=score.ruleset_version,
            model_version=score.model_version,
            source=captured.source,
            lead=snapshot_of(captured),
            captured_at=facts.captured_at,
        )
        uow.outbox.add(new_event(scored, source=SOURCE, subject=data.lead_id), topics.scored)
        await uow.commit()


async def apply_consent(event: Envelope, uow: ScoringUnitOfWork, now: datetime) -> None:
    """Keep a lead's consent as capture last changed it (an opt-out reaches the facts later scores read)."""
    data: ConsentChanged = event.data
    async with uow:
        if not await uow.inbox.claim(event) or await uow.tombstones.is_erased(data.lead_id):
            await uow.commit()
            return
        facts = await uow.leads.facts(data.lead_id)
        if facts is not None:  # a change before the capture arrives is carried by the capture itself
            await uow.leads.remember_many([facts.with_consent(data.marketing, data.purposes)], now)
        await uow.commit()


async def erase_lead(event: Envelope, uow: ScoringUnitOfWork) -> None:
    """Forget an erased lead: its score and every event about it still in the outbox."""
    lead_id = event.data.lead_id
    async with uow:
        if not await uow.inbox.claim(event):
            return
        await uow.tombstones.bury(lead_id)
        await uow.scores.forget(lead_id)
        await uow.leads.forget(lead_id)
        await uow.outcomes.forget(lead_id)
        await uow.outbox.forget(lead_id)
        await uow.commit()
