"""Capture's composition root: the one place that builds and wires its parts."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from leadrelay.capture.adapters.orm import outbox
from leadrelay.capture.api import router
from leadrelay.capture.settings import CaptureSettings
from leadrelay.service.app import create_app
from leadrelay.service.runtime import ServiceRuntime

SERVICE = "capture"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_app(settings: CaptureSettings) -> FastAPI:
    """Build capture's app and runtime (nothing starts until the app's lifespan begins)."""
    runtime = ServiceRuntime(SERVICE, settings, outbox)
    app = create_app(
        service=SERVICE,
        title="Leadrelay capture",
        description="Takes leads from forms, chat widgets and backends, and emits LeadCaptured.",
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.runtime = runtime
    app.include_router(router)
    return app
