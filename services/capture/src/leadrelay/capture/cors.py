"""CORS per form: only origins a form allows get Access-Control-Allow-Origin."""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadrelay.capture.domain.forms import FormsConfig
from leadrelay.capture.ports import Forms

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

    def __init__(self, app: ASGIApp, store: Forms) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _origin_of(scope)
        if origin is None:  # not a cross-origin browser request: no form lookup, only the Vary header
            await self.app(scope, receive, _with_headers(send, [(b"vary", b"Origin")]))
            return
        allowed = origin in allowed_origins_for(scope["path"], await self._forms())
        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204 if allowed else 403, headers={"Vary": "Origin"})
            if allowed:
                preflight.headers["Access-Control-Allow-Origin"] = origin
                preflight.headers["Access-Control-Allow-Methods"] = "POST"
                preflight.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                preflight.headers["Access-Control-Max-Age"] = "600"
            await preflight(scope, receive, send)
            return
        label = [(b"vary", b"Origin")]
        if allowed:
            label.append((b"access-control-allow-origin", origin.encode("latin-1")))
        await self.app(scope, receive, _with_headers(send, label))

    async def _forms(self) -> FormsConfig:
        try:
            return await self.store.current()
        except Exception:  # database unreachable: allow no origin rather than fail the request
            return FormsConfig(forms=[])


def _origin_of(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"origin":
            return bytes(value).decode("latin-1")
    return None


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """Wrap send so the response start carries extra headers (raw pairs: no header object per request)."""

    async def labelled(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    return labelled
