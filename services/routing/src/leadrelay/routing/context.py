"""What routing's endpoints use, built once by the composition root (bootstrap.py) and given to each endpoint
as a FastAPI dependency: `ctx: Routing`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from leadrelay.db.documents import ActiveDocument, AuditLog, VersionedDocuments
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.service.context import app_context
from leadrelay.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class RoutingContext:
    """The runtime, the configuration (stored versions and the active one) and the audit."""

    runtime: ServiceRuntime
    config_store: VersionedDocuments[RoutingConfig]
    config: ActiveDocument[RoutingConfig]
    audit: AuditLog
    # Sees to a configuration's handoff topics: creates them (development) or checks they exist as declared.
    prepare_topics: Callable[[RoutingConfig], Awaitable[None]]

    def uow(self) -> PostgresRoutingUnitOfWork:
        """A new unit of work on routing's database."""
        return PostgresRoutingUnitOfWork(self.runtime.sessions)


Routing = Annotated[RoutingContext, Depends(app_context)]
