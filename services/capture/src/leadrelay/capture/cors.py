"""CORS per form: only origins a form allows get Access-Control-Allow-Origin."""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class FormCors:
    """Answer preflights and label allowed responses with their origin (pure ASGI)."""

    def __init__(self, app: ASGIApp, store: FormStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = origin is not None and origin in allowed_origins_for(scope["path"], await self._forms())
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204 if allowed else 403, headers={"Vary": "Origin"})
            if allowed:
                assert origin is not None
                preflight.headers["Access-Control-Allow-Origin"] = origin
                preflight.headers["Access-Control-Allow-Methods"] = "POST"
                preflight.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                preflight.headers["Access-Control-Max-Age"] = "600"
            await preflight(scope, receive, send)
            return

        async def label(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Vary"] = "Origin"
                if allowed and origin is not None:
                    response_headers["Access-Control-Allow-Origin"] = origin
            await send(message)

        await self.app(scope, receive, label)

    async def _forms(self) -> FormsConfig:
        try:
            return await self.store.current()
        except Exception:  # database unreachable: allow no origin rather than fail the request
            return FormsConfig(forms=[])
