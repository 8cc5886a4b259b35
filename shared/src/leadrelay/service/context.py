"""The one object a service's endpoints depend on: its composition root attaches it to the app as
`app.state.context`, and each endpoint receives it with `Depends(app_context)` under the service's own type."""

from __future__ import annotations

from typing import Any

from fastapi import Request


def app_context(request: Request) -> Any:
    """The context the composition root attached to the app (each service annotates it with its own type)."""
    return request.app.state.context
