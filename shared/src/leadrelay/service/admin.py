"""The guards the services' routers share (admin configuration, read-only viewers and sales tools), and the
audit read every service serves to admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from leadrelay.db.documents import AuditEntry, AuditLog
from leadrelay.service.access import GuardedRoute, Role, access

require_admin = access(Role.ADMIN)
require_viewer = access(Role.VIEWER)
require_sales = access(Role.SALES)


def audit_router(audit: AuditLog, prefix: str = "/v1") -> APIRouter:
    """`GET <prefix>/audit`: the service's latest admin changes, for admins."""
    router = APIRouter(
        prefix=prefix, tags=["audit"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
    )

    @router.get("/audit")
    async def read_audit(
        limit: int = Query(100, ge=1, le=1000),
        action: str | None = Query(
            None, max_length=40, description="only this action, e.g. config_activated"
        ),
    ) -> list[AuditEntry]:
        """The latest admin changes, newest first: who (a key's id, never the key), what, on what, when."""
        return await audit.entries(limit, action)

    return router
