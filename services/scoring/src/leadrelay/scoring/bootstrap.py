"""Scoring's composition root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from leadrelay.db.documents import AuditLog, VersionedDocuments
from leadrelay.events import Envelope
from leadrelay.events.handoff import HandoffRejected
from leadrelay.events.lead import ConsentChanged, LeadActivity, LeadCaptured, LeadErased
from leadrelay.events.scoring import LeadOutcome
from leadrelay.scoring.adapters.model_registry import ModelRegistry
from leadrelay.scoring.adapters.orm import audit_log, outbox
from leadrelay.scoring.adapters.orm import rulesets as ruleset_versions
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork
from leadrelay.scoring.api import admin, router
from leadrelay.scoring.context import ScoringContext
from leadrelay.scoring.domain.rules import RuleSet
from leadrelay.scoring.handlers import (
    apply_consent,
    erase_lead,
    record_outcome,
    return_to_nurture,
    score_activity,
    score_captured_leads,
)
from leadrelay.scoring.model.features import load_feature_map
from leadrelay.scoring.rescore import RescoreJobs
from leadrelay.scoring.retraining import OutcomeTrainer
from leadrelay.scoring.scorer import Scoring
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.scoring.state import ModelCache, ScoringState
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "scoring"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def ruleset_summary(ruleset: RuleSet) -> dict[str, int]:
    """What an added rule set holds, for its audit entry."""
    return {"rules": len(ruleset.rules)}


def build_app(settings: ScoringSettings) -> FastAPI:
    """Build scoring's app: its consumers, rule set and model state, re-score jobs, retraining and relay."""
    seed_ruleset = load_ruleset(settings.ruleset_path)
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    audit = AuditLog(runtime.engine, audit_log)
    rulesets = VersionedDocuments(
        runtime.engine, ruleset_versions, RuleSet, "ruleset", audit, summarise=ruleset_summary
    )
    registry = ModelRegistry(runtime.engine)
    state = ScoringState(rulesets, registry, Scoring(seed_ruleset))
    outcome_features = load_feature_map("native")
    trainer = OutcomeTrainer(
        runtime.engine,
        runtime.sessions,
        registry,
        state,
        outcome_features,
        settings.retrain_after_outcomes,
        settings.retrain_activate_min_auc,
    )
    jobs = RescoreJobs(runtime.engine, runtime.sessions, rulesets, state, runtime.topics)

    def uow() -> PostgresScoringUnitOfWork:
        return PostgresScoringUnitOfWork(runtime.sessions)

    async def on_captured(event: Envelope) -> None:
        await score_captured_leads([event], uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_captured_batch(events: list[Envelope]) -> None:
        await score_captured_leads(events, uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_activity(event: Envelope) -> None:
        await score_activity(event, uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_outcome(event: Envelope) -> None:
        if await record_outcome(event, uow(), outcome_features, datetime.now(UTC)):
            trainer.outcome_recorded()

    async def on_rejected(event: Envelope) -> None:
        await return_to_nurture(event, uow(), runtime.topics, datetime.now(UTC))

    async def on_erased(event: Envelope) -> None:
        await erase_lead(event, uow())

    async def on_consent(event: Envelope) -> None:
        await apply_consent(event, uow(), datetime.now(UTC))

    async def load_versions() -> None:
        await rulesets.seed(seed_ruleset, datetime.now(UTC))
        await state.refresh()

    runtime.startup_hooks.append(load_versions)
    # Captured leads are on the capture-to-handoff path; the rest may wait for bigger, cheaper fetches.
    runtime.add_consumer(
        [runtime.topics.captured],
        {LeadCaptured.EVENT_TYPE: on_captured},
        batch_handlers={LeadCaptured.EVENT_TYPE: on_captured_batch},
    )
    runtime.add_consumer(
        [
            runtime.topics.activity,
            runtime.topics.outcomes,
            runtime.topics.rejected,
            runtime.topics.erased,
            runtime.topics.consent,
        ],
        {
            LeadActivity.EVENT_TYPE: on_activity,
            LeadOutcome.EVENT_TYPE: on_outcome,
            HandoffRejected.EVENT_TYPE: on_rejected,
            LeadErased.EVENT_TYPE: on_erased,
            ConsentChanged.EVENT_TYPE: on_consent,
        },
        background=True,
        group_suffix="-background",
    )
    runtime.add_task("state-refresh", lambda: state.keep_fresh(settings.refresh_interval_s), state.stop)
    runtime.add_task("rescore-jobs", jobs.run, jobs.stop)
    runtime.add_task("retraining", trainer.run, trainer.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay scoring",
        description="Scores and qualifies captured leads and emits LeadScored; learns from LeadOutcome.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        keyring=KeyRing.of(settings.role_keys()),
    )
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    app.state.context = ScoringContext(
        runtime, rulesets, registry, state, ModelCache(registry), jobs, trainer, audit
    )
    app.include_router(router)
    app.include_router(admin)
    app.include_router(audit_router(audit))
    return app
