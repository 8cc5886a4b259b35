"""Scoring's composition root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from leadrelay.events import Envelope
from leadrelay.events.lead import LeadActivity, LeadCaptured, LeadErased
from leadrelay.scoring.adapters.orm import outbox
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.adapters.uow import ScoringUnitOfWork
from leadrelay.scoring.api import router
from leadrelay.scoring.handlers import erase_lead, score_activity, score_captured_lead
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "scoring"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: ScoringSettings) -> FastAPI:
    """Build scoring's app, its consumer of leads.captured and its outbox relay."""
    ruleset = load_ruleset(settings.ruleset_path)
    runtime = ServiceRuntime(SERVICE, settings, outbox)

    async def on_captured(event: Envelope) -> None:
        await score_captured_lead(
            event, ScoringUnitOfWork(runtime.sessions), ruleset, runtime.topics, datetime.now(UTC)
        )

    async def on_activity(event: Envelope) -> None:
        await score_activity(
            event, ScoringUnitOfWork(runtime.sessions), ruleset, runtime.topics, datetime.now(UTC)
        )

    async def on_erased(event: Envelope) -> None:
        await erase_lead(event, ScoringUnitOfWork(runtime.sessions))

    runtime.add_consumer(
        [runtime.topics.captured, runtime.topics.activity, runtime.topics.erased],
        {
            LeadCaptured.EVENT_TYPE: on_captured,
            LeadActivity.EVENT_TYPE: on_activity,
            LeadErased.EVENT_TYPE: on_erased,
        },
    )
    app = create_app(
        service=SERVICE,
        title="Leadrelay scoring",
        description="Scores and qualifies captured leads and emits LeadScored.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.state.ruleset = ruleset
    app.include_router(router)
    return app
