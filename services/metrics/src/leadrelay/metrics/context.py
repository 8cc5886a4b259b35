"""What the metrics service's endpoints use, built once by the composition root (bootstrap.py) and given to
each endpoint as a FastAPI dependency: `ctx: Metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from leadrelay.db.documents import AuditLog
from leadrelay.metrics.adapters.uow import PostgresMetricsUnitOfWork
from leadrelay.metrics.ports import MetricsUnitOfWork
from leadrelay.service.context import app_context
from leadrelay.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class MetricsContext:
    """The runtime and the audit."""

    runtime: ServiceRuntime
    audit: AuditLog

    def uow(self) -> MetricsUnitOfWork:
        """A new unit of work on the metrics database."""
        return PostgresMetricsUnitOfWork(self.runtime.sessions)


Metrics = Annotated[MetricsContext, Depends(app_context)]
