"""The SLA monitor's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from leadrelay.events import Envelope
from leadrelay.events.handoff import LeadContacted, LeadQualified
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime
from leadrelay.sla_monitor.adapters.orm import outbox
from leadrelay.sla_monitor.adapters.uow import SlaUnitOfWork
from leadrelay.sla_monitor.api import router
from leadrelay.sla_monitor.handlers import contact_reported, start_clock
from leadrelay.sla_monitor.settings import SlaMonitorSettings
from leadrelay.sla_monitor.timers import BreachPoller

SERVICE = "sla-monitor"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: SlaMonitorSettings) -> FastAPI:
    """Build the SLA monitor's app, consumers, breach poller and outbox relay."""
    runtime = ServiceRuntime(SERVICE, settings, outbox)

    async def on_qualified(event: Envelope) -> None:
        await start_clock(event, SlaUnitOfWork(runtime.sessions), runtime.topics)

    async def on_contacted(event: Envelope) -> None:
        await contact_reported(event, SlaUnitOfWork(runtime.sessions))

    runtime.add_consumer(
        [runtime.topics.qualified, runtime.topics.contacted],
        {LeadQualified.EVENT_TYPE: on_qualified, LeadContacted.EVENT_TYPE: on_contacted},
    )
    poller = BreachPoller(
        lambda: SlaUnitOfWork(runtime.sessions),
        runtime.topics,
        settings.breach_poll_interval_s,
        settings.breach_batch_size,
        runtime.relay.wake,
    )
    runtime.add_task("breach-poller", poller.run, poller.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay SLA monitor",
        description="Runs follow-up clocks for handoffs and emits HandoffBreached when they run out.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    app.include_router(router)
    return app
