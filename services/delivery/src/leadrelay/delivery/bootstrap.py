"""The delivery service's composition root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI
from limits import parse

from leadrelay.db.documents import AuditLog
from leadrelay.delivery.actions import router as email_links
from leadrelay.delivery.adapters.mailer import Mailer
from leadrelay.delivery.adapters.orm import audit_log, outbox
from leadrelay.delivery.adapters.sales_tools import SalesTools
from leadrelay.delivery.adapters.seed_file import load_seed
from leadrelay.delivery.adapters.sender import WebhookSender
from leadrelay.delivery.adapters.store import DeliveryStore
from leadrelay.delivery.adapters.uow import DeliveryUnitOfWork
from leadrelay.delivery.api import admin, crm
from leadrelay.delivery.context import DeliveryContext
from leadrelay.delivery.dispatcher import Dispatcher
from leadrelay.delivery.domain.subscriptions import DELIVERABLE
from leadrelay.delivery.domain.targets import TargetRefused
from leadrelay.delivery.emails import EmailComposer
from leadrelay.delivery.handlers import forget_lead, plan_deliveries
from leadrelay.delivery.metrics import DELIVERIES, DISABLED_SUBSCRIPTIONS
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.events import Envelope
from leadrelay.events.lead import LeadErased
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.periodic import Periodic
from leadrelay.service.ratelimit import SlidingWindowCounter
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "delivery"
log = structlog.get_logger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: DeliverySettings) -> FastAPI:
    """Build the delivery app, its consumer of handoff events and its dispatcher."""
    seeded = load_seed(settings.subscriptions_path) if settings.subscriptions_path else []
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    audit = AuditLog(runtime.engine, audit_log)
    store = DeliveryStore(runtime.engine, audit)
    sender = WebhookSender(
        settings.allowed_networks,
        settings.request_timeout_s,
        settings.max_response_bytes,
        settings.dispatch_concurrency,
    )
    email = _email(settings)
    composer, mailer, sales_tools = email if email else (None, None, None)
    dispatcher = Dispatcher(
        store,
        sender,
        settings.retry_policy,
        interval_s=settings.dispatch_interval_s,
        batch_size=settings.dispatch_batch_size,
        concurrency=settings.dispatch_concurrency,
        # a leased row no dispatcher finished (it died mid-attempt) is taken again after this
        lease=timedelta(seconds=max(settings.request_timeout_s, settings.smtp_timeout_s) * 3 + 5),
        mailer=mailer,
    )

    async def on_events(events: list[Envelope]) -> None:
        uow = DeliveryUnitOfWork(runtime.sessions)
        if await plan_deliveries(events, uow, datetime.now(UTC), composer, settings.notify_reps):
            dispatcher.wake()

    async def on_event(event: Envelope) -> None:
        await on_events([event])

    async def on_erased(event: Envelope) -> None:
        await forget_lead(event, DeliveryUnitOfWork(runtime.sessions), datetime.now(UTC))

    topics = runtime.topics
    runtime.add_consumer(
        [topics.qualified, topics.at_risk, topics.sla_breached, topics.rejected, topics.erased],
        {**dict.fromkeys(DELIVERABLE, on_event), LeadErased.EVENT_TYPE: on_erased},
        batch_handlers=dict.fromkeys(DELIVERABLE, on_events),
    )
    runtime.add_task("dispatcher", dispatcher.run, dispatcher.stop)

    async def seed_subscriptions() -> None:
        allowed = []
        for spec, secret in seeded:
            try:
                if spec.target.url is not None:
                    await sender.check_target(str(spec.target.url))
            except TargetRefused as exc:  # as the API would refuse it; the file's other subscriptions go in
                log.warning("subscription_not_seeded", name=spec.name, reason=str(exc))
                continue
            allowed.append((spec, secret))
        for name in await store.seed(allowed, datetime.now(UTC)):
            log.info("subscription_seeded", name=name)

    if seeded:
        runtime.startup_hooks.append(seed_subscriptions)

    async def refresh_gauges() -> None:
        counts = await store.counts()
        for status in ("pending", "delivered", "failed"):
            DELIVERIES.labels(status).set(counts.get(status, 0))
        DISABLED_SUBSCRIPTIONS.set(counts["disabled_subscriptions"])

    gauges = Periodic("delivery-gauges", refresh_gauges, settings.gauge_refresh_interval_s)
    runtime.add_task(gauges.name, gauges.run, gauges.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay delivery",
        description="Delivers handoffs, at-risk warnings, breaches and rejections to subscribed tools as signed "
        "webhooks, and takes outcomes from CRMs that cannot produce to Kafka.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        keyring=KeyRing.of(settings.role_keys()),
        max_body_bytes=512 * 1024,  # a batch of 1,000 outcomes
    )
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    link_limit = parse(settings.link_rate_limit)
    link_limits = SlidingWindowCounter(link_limit.amount, link_limit.get_expiry())
    app.state.context = DeliveryContext(runtime, store, sender, settings, sales_tools, link_limits)
    app.include_router(admin)
    app.include_router(email_links)
    app.include_router(crm)
    app.include_router(audit_router(audit))
    return app


def _email(settings: DeliverySettings) -> tuple[EmailComposer, Mailer, SalesTools] | None:
    """What email needs, when an SMTP server is configured; the templates are rendered once here, so one a user
    broke stops the service at start, naming the file."""
    if settings.smtp_host is None or settings.link_secret is None or settings.sales_key is None:
        return None
    composer = EmailComposer(
        settings.public_url,
        settings.link_secret.get_secret_value(),
        timedelta(hours=settings.link_ttl_hours),
        settings.templates_dir,
    )
    composer.check(datetime.now(UTC))
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    mailer = Mailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,
        settings.smtp_username,
        password,
        settings.smtp_timeout_s,
        settings.mail_from,
    )
    sales_tools = SalesTools(
        settings.routing_url, settings.sla_monitor_url, settings.sales_key.get_secret_value()
    )
    return composer, mailer, sales_tools
