"""What capture's endpoints use, built once by the composition root (bootstrap.py): given to each endpoint as
a FastAPI dependency (`ctx: Capture`), and read with capture_context() where FastAPI's dependency solving is
skipped (the lead intake route and the caller's admission, which run before the body is read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from leadrelay.capture.adapters.uow import PostgresCaptureUnitOfWork
from leadrelay.capture.captcha import CaptchaVerifier
from leadrelay.capture.intake import IntakeWriter
from leadrelay.capture.ports import CaptureUnitOfWork, Forms
from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.documents import AuditLog
from leadrelay.service.context import app_context
from leadrelay.service.runtime import ServiceRuntime

if TYPE_CHECKING:  # security reads the context: imported for the type only
    from leadrelay.capture.security import RateLimits


@dataclass(frozen=True)
class CaptureContext:
    """The runtime and settings, forms, the intake writer, captcha, rate limits and the audit."""

    runtime: ServiceRuntime
    settings: CaptureSettings
    form_store: Forms
    intake: IntakeWriter
    captcha: CaptchaVerifier
    rate_limits: RateLimits
    audit: AuditLog

    def uow(self) -> CaptureUnitOfWork:
        """A new unit of work on capture's database."""
        return PostgresCaptureUnitOfWork(self.runtime.sessions)


def capture_context(request: Request) -> CaptureContext:
    """The context the composition root attached to the app, typed."""
    context: CaptureContext = app_context(request)
    return context


Capture = Annotated[CaptureContext, Depends(capture_context)]
