"""CORS per form: only origins a form allows get Access-Control-Allow-Origin."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from leadrelay.capture.adapters.form_store import FormStore
from leadrelay.capture.domain.forms import FormsConfig

_FORM_PATH = re.compile(r"^/v1/forms/(?P<form_id>[^/]+)$")
_BROWSER_PATHS = ("/v1/leads", "/v1/chat")
ALLOWED_HEADERS = "content-type, x-form-key, idempotency-key, x-captcha-token"


def allowed_origins_for(path: str, forms: FormsConfig) -> set[str]:
    """Return the origins that may call path from a browser."""
    match = _FORM_PATH.match(path)
    if match:
        form = forms.by_id(match["form_id"])
        return set(form.allowed_origins) if form else set()
    if path in _BROWSER_PATHS:
        return {origin for form in forms.forms for origin in form.allowed_origins}
    return set()


async def _forms(store: FormStore) -> FormsConfig:
    try:
        return await store.current()
    except Exception:  # database unreachable: allow no origin rather than fail the request
        return FormsConfig(forms=[])


def form_cors(
    store: FormStore,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """Build the middleware: answer preflights, and label allowed responses with their origin."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        origin = request.headers.get("origin")
        allowed = origin is not None and origin in allowed_origins_for(request.url.path, await _forms(store))
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            response = Response(status_code=204 if allowed else 403)
            if allowed:
                response.headers["Access-Control-Allow-Methods"] = "POST"
                response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await call_next(request)
        if allowed:
            assert origin is not None
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        return response

    return middleware
