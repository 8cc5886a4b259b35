"""Admin APIs: every service's configuration endpoints need a key from LEADRELAY_<SERVICE>_ADMIN_KEYS."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


async def require_admin(request: Request) -> None:
    """FastAPI dependency: 401 unless the X-Admin-Key header holds one of the service's admin keys."""
    key = request.headers.get("x-admin-key", "")
    if not any(hmac.compare_digest(key.encode(), k.encode()) for k in request.app.state.settings.admin_keys):
        raise HTTPException(401, detail={"error": "unauthorized", "detail": "send a valid X-Admin-Key"})
