"""One key per role for tests, and the settings fields that configure them."""

from __future__ import annotations

from typing import Any

ADMIN_KEY = "test-admin-key-0123456789"
VIEWER_KEY = "test-viewer-key-0123456789"
SALES_KEY = "test-sales-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}
VIEWER = {"X-API-Key": VIEWER_KEY}
SALES = {"X-API-Key": SALES_KEY}


def role_keys() -> dict[str, Any]:
    """Return settings fields giving a service the test keys of the admin, viewer and sales roles."""
    return {"admin_keys": [ADMIN_KEY], "viewer_keys": [VIEWER_KEY], "sales_keys": [SALES_KEY]}
