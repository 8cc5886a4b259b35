"""Routing's composition root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from leadrelay.db.documents import ActiveDocument, AuditLog, VersionedDocuments
from leadrelay.events import Envelope
from leadrelay.events.handoff import HandoffBreached, LeadContacted
from leadrelay.events.lead import ConsentChanged, LeadErased
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.events.sla import SlaPoliciesActivated
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.adapters.orm import audit_log, config_versions, outbox
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork
from leadrelay.routing.api import admin, router, sales
from leadrelay.routing.context import RoutingContext
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.handlers import (
    adopt_sla_policies,
    apply_consent,
    erase_lead,
    escalate_breach,
    record_contact,
    record_outcome,
    route_scored_leads,
)
from leadrelay.routing.settings import RoutingSettings
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "routing"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def config_summary(config: RoutingConfig) -> dict[str, int]:
    """What an added configuration holds, for its audit entry."""
    return {"queues": len(config.queues), "reps": len(config.reps), "rules": len(config.rules)}


def build_app(settings: RoutingSettings) -> FastAPI:
    """Build routing's app: its consumers, configuration state and outbox relay."""
    seed = load_config(settings.config_path)
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    audit = AuditLog(runtime.engine, audit_log)
    store = VersionedDocuments(
        runtime.engine, config_versions, RoutingConfig, "config", audit, summarise=config_summary
    )

    def handoff_topics(config: RoutingConfig) -> list[str]:
        return [
            runtime.topics.name(q.handoff_topic) if q.handoff_topic else runtime.topics.handoff(q.name)
            for q in config.queues
        ]

    async def prepare_topics(config: RoutingConfig) -> None:
        # created before the first handoff: concurrent auto-creation misbehaves on some brokers
        await runtime.prepare_topics(handoff_topics(config))

    state = ActiveDocument(store, seed, on_change=prepare_topics)
    runtime.extra_topics = handoff_topics(seed)

    def uow() -> PostgresRoutingUnitOfWork:
        return PostgresRoutingUnitOfWork(runtime.sessions)

    async def on_scored(event: Envelope) -> None:
        await route_scored_leads([event], uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_scored_batch(events: list[Envelope]) -> None:
        await route_scored_leads(events, uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_breached(event: Envelope) -> None:
        await escalate_breach(event, uow(), state.current, runtime.topics, datetime.now(UTC))

    async def on_contacted(event: Envelope) -> None:
        await record_contact(event, uow(), datetime.now(UTC))

    async def on_outcome(event: Envelope) -> None:
        await record_outcome(event, uow(), datetime.now(UTC))

    async def on_erased(event: Envelope) -> None:
        await erase_lead(event, uow())

    async def on_consent(event: Envelope) -> None:
        await apply_consent(event, uow())

    async def on_sla_policies(event: Envelope) -> None:
        await adopt_sla_policies(event, uow())

    async def load_config_version() -> None:
        await store.seed(seed, datetime.now(UTC))
        await state.refresh()

    runtime.startup_hooks.append(load_config_version)
    topics = runtime.topics
    # Scored leads are on the capture-to-handoff path; the rest may wait for bigger, cheaper fetches.
    runtime.add_consumer(
        [topics.scored],
        {LeadScored.EVENT_TYPE: on_scored},
        batch_handlers={LeadScored.EVENT_TYPE: on_scored_batch},
    )
    runtime.add_consumer(
        [
            topics.sla_breached,
            topics.contacted,
            topics.outcomes,
            topics.erased,
            topics.consent,
            topics.sla_policies,
        ],
        {
            HandoffBreached.EVENT_TYPE: on_breached,
            LeadContacted.EVENT_TYPE: on_contacted,
            LeadOutcome.EVENT_TYPE: on_outcome,
            LeadErased.EVENT_TYPE: on_erased,
            ConsentChanged.EVENT_TYPE: on_consent,
            SlaPoliciesActivated.EVENT_TYPE: on_sla_policies,
        },
        background=True,
        group_suffix="-background",
    )
    runtime.add_task("config-refresh", lambda: state.keep_fresh(settings.refresh_interval_s), state.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay routing",
        description="Hands sales-ready leads to the right rep, explains every decision and escalates breaches.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        keyring=KeyRing.of(settings.role_keys()),
    )
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    app.state.context = RoutingContext(runtime, store, state, audit, prepare_topics)
    app.include_router(router)
    app.include_router(admin)
    app.include_router(audit_router(audit))
    app.include_router(sales)
    return app
