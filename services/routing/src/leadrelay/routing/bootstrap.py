"""Routing's composition root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from leadrelay.events import Envelope
from leadrelay.events.lead import LeadErased
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.adapters.orm import outbox
from leadrelay.routing.adapters.uow import RoutingUnitOfWork
from leadrelay.routing.api import router
from leadrelay.routing.handlers import erase_lead, route_scored_lead
from leadrelay.routing.settings import RoutingSettings
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "routing"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: RoutingSettings) -> FastAPI:
    """Build routing's app, its consumer of leads.scored and its outbox relay."""
    config = load_config(settings.config_path)
    runtime = ServiceRuntime(SERVICE, settings, outbox)

    async def on_scored(event: Envelope) -> None:
        await route_scored_lead(
            event, RoutingUnitOfWork(runtime.sessions), config, runtime.topics, datetime.now(UTC)
        )

    runtime.extra_topics = [runtime.topics.handoff(q.name) for q in config.queues]

    async def on_erased(event: Envelope) -> None:
        await erase_lead(event, RoutingUnitOfWork(runtime.sessions))

    runtime.add_consumer(
        [runtime.topics.scored, runtime.topics.erased],
        {LeadScored.EVENT_TYPE: on_scored, LeadErased.EVENT_TYPE: on_erased},
    )
    app = create_app(
        service=SERVICE,
        title="Leadrelay routing",
        description="Hands sales-ready leads to the right rep and emits LeadQualified.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.state.config = config
    app.include_router(router)
    return app
