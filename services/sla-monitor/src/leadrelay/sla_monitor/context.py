"""What the SLA monitor's endpoints use, built once by the composition root (bootstrap.py) and given to each
endpoint as a FastAPI dependency: `ctx: SlaMonitor`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from leadrelay.db.documents import ActiveDocument, AuditLog, VersionedDocuments
from leadrelay.service.context import app_context
from leadrelay.service.runtime import ServiceRuntime
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork
from leadrelay.sla_policies import PolicySet


@dataclass(frozen=True)
class SlaMonitorContext:
    """The runtime, the SLA policies (stored versions and the active one) and the audit."""

    runtime: ServiceRuntime
    policy_store: VersionedDocuments[PolicySet]
    policies: ActiveDocument[PolicySet]
    audit: AuditLog

    def uow(self) -> PostgresSlaUnitOfWork:
        """A new unit of work on the SLA monitor's database."""
        return PostgresSlaUnitOfWork(self.runtime.sessions)


SlaMonitor = Annotated[SlaMonitorContext, Depends(app_context)]
