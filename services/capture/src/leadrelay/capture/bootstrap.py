"""Capture's composition root: the one place that builds and wires its parts."""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI

from leadrelay.capture import admin, api, consent, demo, forms_api, privacy
from leadrelay.capture.adapters.erasure import expire_idempotency_keys
from leadrelay.capture.adapters.form_store import FormStore
from leadrelay.capture.adapters.forms_file import demo_form, load_forms
from leadrelay.capture.adapters.orm import audit_log, outbox
from leadrelay.capture.captcha import CaptchaVerifier
from leadrelay.capture.context import CaptureContext
from leadrelay.capture.cors import FormCors
from leadrelay.capture.intake import IntakeWriter
from leadrelay.capture.schemas import LeadIn
from leadrelay.capture.security import RateLimits, form_key_principal
from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.documents import AuditLog
from leadrelay.service.access import KeyRing
from leadrelay.service.admin import audit_router
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "capture"
log = structlog.get_logger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: CaptureSettings) -> FastAPI:
    """Build capture's app and runtime (nothing starts until the app's lifespan begins)."""
    configured_forms = load_forms(settings.forms_path)
    if settings.demo and settings.demo_form_key:
        configured_forms.forms.append(demo_form(settings.demo_form_key))
    runtime = ServiceRuntime(SERVICE, settings, outbox, broker_required=False)
    form_store = FormStore(runtime.engine)
    audit = AuditLog(runtime.engine, audit_log)

    async def seed_forms() -> None:
        await form_store.seed(configured_forms)
        if settings.demo and settings.demo_form_key:
            if await form_store.apply_public_key("demo", settings.demo_form_key):
                log.warning("demo_form_key_applied", detail="the stored demo form had another public key")

    runtime.startup_hooks.append(seed_forms)
    runtime.housekeeper.extra_sweeps.append(expire_idempotency_keys(settings.idempotency_keep_hours))
    intake = IntakeWriter(
        runtime.engine,
        runtime.topics,
        settings.dedupe_window,
        max_queued=settings.intake_max_queued,
        deadline_s=settings.intake_deadline_s,
    )
    runtime.add_task("intake-writer", intake.run, intake.stop)
    app = create_app(
        service=SERVICE,
        title="Leadrelay capture",
        description="Takes leads from forms, chat widgets and backends, and emits LeadCaptured.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        max_body_bytes=settings.max_body_bytes,
        schemas=[LeadIn],
        keyring=KeyRing.of(settings.role_keys()),
        optional_checks=runtime.optional_checks,
    )
    app.add_middleware(FormCors, store=form_store)
    app.state.runtime = runtime  # for the dev kit, which waits for its consumers
    app.state.form_keys = form_key_principal  # the shared access guard asks it about X-Form-Key
    rate_limits = RateLimits(
        settings.rate_limit_per_ip, settings.rate_limit_per_form, settings.rate_limit_per_backend_key
    )
    captcha = CaptchaVerifier(settings.captcha_verify_url, settings.captcha_secret)
    app.state.context = CaptureContext(runtime, settings, form_store, intake, captcha, rate_limits, audit)
    app.include_router(api.router)
    app.include_router(forms_api.router)
    app.include_router(privacy.router)
    app.include_router(consent.router)
    app.include_router(demo.widget)
    if settings.demo:
        app.include_router(demo.pages)
    app.include_router(admin.router)
    app.include_router(audit_router(audit, prefix="/v1/admin"))
    return app
