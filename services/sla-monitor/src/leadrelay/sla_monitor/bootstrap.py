"""The SLA monitor's composition root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from leadrelay.db.documents import ActiveDocument, AuditLog, VersionedDocuments
from leadrelay.events import Envelope
from leadrelay.events.handoff import HandoffRejected, LeadContacted, LeadQualified
from leadrelay.events.lead import LeadErased
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.periodic import Periodic
from leadrelay.service.runtime import ServiceRuntime
from leadrelay.sla_monitor.adapters.announcements import announce
from leadrelay.sla_monitor.adapters.orm import audit_log, outbox, policy_versions
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork
from leadrelay.sla_monitor.api import admin, router
from leadrelay.sla_monitor.context import SlaMonitorContext
from leadrelay.sla_monitor.handlers import (
    contact_reported,
    erase_lead,
    rejection_reported,
    start_clock,
    start_clocks,
)
from leadrelay.sla_monitor.metrics import COMPLIANCE, SPEED_TO_LEAD_QUANTILE
from leadrelay.sla_monitor.settings import SlaMonitorSettings
from leadrelay.sla_monitor.timers import BreachPoller
from leadrelay.sla_policies import PolicySet

SERVICE = "sla-monitor"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def policies_summary(policies: PolicySet) -> dict[str, int]:
    """What an added policy version holds, for its audit entry."""
    return {"policies": len(policies.policies), "calendars": len(policies.calendars)}


def build_app(settings: SlaMonitorSettings) -> FastAPI:
    """Build the SLA monitor's app, consumers, breach and warning poller, and outbox relay."""
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    seed = PolicySet.model_validate(yaml.safe_load(settings.policies_path.read_text()))
    audit = AuditLog(runtime.engine, audit_log)

    async def announce_activation(conn: AsyncConnection, activated: PolicySet, at: datetime) -> None:
        await announce(conn, runtime.topics, activated, at)

    store = VersionedDocuments(
        runtime.engine,
        policy_versions,
        PolicySet,
        "policies",
        audit,
        summarise=policies_summary,
        on_activate=announce_activation,
    )
    policies = ActiveDocument(store, seed)

    async def on_qualified(event: Envelope) -> None:
        await start_clock(event, PostgresSlaUnitOfWork(runtime.sessions), runtime.topics, policies.current)

    async def on_qualified_batch(events: list[Envelope]) -> None:
        await start_clocks(events, PostgresSlaUnitOfWork(runtime.sessions), runtime.topics, policies.current)

    async def on_contacted(event: Envelope) -> None:
        await contact_reported(event, PostgresSlaUnitOfWork(runtime.sessions))

    async def on_rejected(event: Envelope) -> None:
        await rejection_reported(event, PostgresSlaUnitOfWork(runtime.sessions))

    async def on_erased(event: Envelope) -> None:
        await erase_lead(event, PostgresSlaUnitOfWork(runtime.sessions))

    async def load_policies() -> None:
        await store.seed(seed, datetime.now(UTC))
        await policies.refresh()
        # Again at every start: a routing database or topic that missed the activation gets it now.
        active = await store.active_since()
        if active is not None:
            async with runtime.engine.begin() as conn:
                await announce(conn, runtime.topics, *active)

    async def refresh_gauges() -> None:
        """Speed to lead and compliance from the database, so every replica reports the same."""
        async with PostgresSlaUnitOfWork(runtime.sessions) as uow:
            rows = await uow.handoffs.compliance("queue", datetime.now(UTC) - timedelta(hours=24))
        for row in rows:
            if row.compliance is not None:
                COMPLIANCE.labels(row.group or "").set(row.compliance)
        overall = await _overall_quantiles(runtime)
        for (part, quantile), value in overall.items():
            SPEED_TO_LEAD_QUANTILE.labels(part, quantile).set(value)

    runtime.startup_hooks.append(load_policies)
    gauges = Periodic("sla-gauges", refresh_gauges, settings.gauge_refresh_interval_s)
    runtime.add_task(gauges.name, gauges.run, gauges.stop)
    runtime.add_consumer(
        [runtime.topics.qualified, runtime.topics.contacted, runtime.topics.rejected, runtime.topics.erased],
        {
            LeadQualified.EVENT_TYPE: on_qualified,
            LeadContacted.EVENT_TYPE: on_contacted,
            HandoffRejected.EVENT_TYPE: on_rejected,
            LeadErased.EVENT_TYPE: on_erased,
        },
        batch_handlers={LeadQualified.EVENT_TYPE: on_qualified_batch},
    )
    poller = BreachPoller(
        lambda: PostgresSlaUnitOfWork(runtime.sessions),
        runtime.topics,
        settings.breach_poll_interval_s,
        settings.breach_batch_size,
        runtime.relay.wake,
    )
    runtime.add_task("breach-poller", poller.run, poller.stop)
    runtime.add_task(
        "policy-refresh", lambda: policies.keep_fresh(settings.refresh_interval_s), policies.stop
    )
    app = create_app(
        service=SERVICE,
        title="Leadrelay SLA monitor",
        description="Runs follow-up clocks for handoffs, warns before and breaches after their deadlines.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        keyring=KeyRing.of(settings.role_keys()),
    )
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    app.state.context = SlaMonitorContext(runtime, store, policies, audit)
    app.include_router(router)
    app.include_router(admin)
    app.include_router(audit_router(audit))
    return app


async def _overall_quantiles(runtime: ServiceRuntime) -> dict[tuple[str, str], float]:
    from sqlalchemy import text

    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handed_off_at - captured_at)),"
                    " percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM handed_off_at - captured_at)),"
                    " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM contacted_at - handed_off_at)),"
                    " percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM contacted_at - handed_off_at))"
                    " FROM handoffs WHERE handed_off_at >= now() - interval '24 hours'"
                )
            )
        ).one()
    keys = [("routing", "0.5"), ("routing", "0.95"), ("rep", "0.5"), ("rep", "0.95")]
    return {key: float(value) for key, value in zip(keys, row, strict=True) if value is not None}
