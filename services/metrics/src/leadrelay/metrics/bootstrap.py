"""The metrics service's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Gauge

from leadrelay.db.documents import AuditLog
from leadrelay.events import EVENT_TYPES, Envelope
from leadrelay.metrics.adapters.orm import audit_log, outbox
from leadrelay.metrics.adapters.uow import PostgresMetricsUnitOfWork
from leadrelay.metrics.api import admin, pages, router
from leadrelay.metrics.context import MetricsContext
from leadrelay.metrics.handlers import count_events
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.observability.metrics import REGISTRY
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.periodic import Periodic
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "metrics"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"

FUNNEL = Gauge(
    "leadrelay_funnel_events",
    "All-time funnel counts by step, stage, source and queue (from the KPI store).",
    ["step", "stage", "source", "queue"],
    registry=REGISTRY,
)


def build_app(settings: MetricsSettings) -> FastAPI:
    """Build the metrics app and its consumer of every lead topic."""
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    audit = AuditLog(runtime.engine, audit_log)

    async def on_event(event: Envelope) -> None:
        await count_events([event], PostgresMetricsUnitOfWork(runtime.sessions))

    async def on_events(events: list[Envelope]) -> None:
        await count_events(events, PostgresMetricsUnitOfWork(runtime.sessions))

    topics = sorted({runtime.topics.name(spec.topic) for spec in EVENT_TYPES.values()})
    runtime.add_consumer(
        topics,
        dict.fromkeys(EVENT_TYPES, on_event),
        batch_handlers=dict.fromkeys(EVENT_TYPES, on_events),
        background=True,  # KPIs may trail by a fraction of a second; bigger batches cost far less per event
    )

    async def refresh_funnel_gauge() -> None:
        async with PostgresMetricsUnitOfWork(runtime.sessions) as uow:
            for row in await uow.funnel.totals_by_labels():
                FUNNEL.labels(row.step, row.stage, row.source, row.queue).set(row.count)

    gauges = Periodic("funnel-gauge", refresh_funnel_gauge, settings.gauge_refresh_interval_s)
    runtime.add_task(gauges.name, gauges.run, gauges.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay metrics",
        description="Turns every lead event into funnel KPIs for people and Prometheus.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        keyring=KeyRing.of(settings.role_keys()),
    )
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    app.state.context = MetricsContext(runtime, audit)
    app.include_router(router)
    app.include_router(admin)
    app.include_router(audit_router(audit))
    app.include_router(pages)
    return app
