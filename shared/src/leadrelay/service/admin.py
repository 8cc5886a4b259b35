"""The guards the services' routers share: admin configuration, read-only viewers and sales tools."""

from __future__ import annotations

from leadrelay.service.access import Role, access

require_admin = access(Role.ADMIN)
require_viewer = access(Role.VIEWER)
require_sales = access(Role.SALES)
