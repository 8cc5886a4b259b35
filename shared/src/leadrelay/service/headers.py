"""Response headers that keep browsers from misreading, framing or injecting into the services' pages."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages load their own scripts only; inline style attributes stay allowed (the SVG charts set them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_EVERY_RESPONSE = [(b"x-content-type-options", b"nosniff")]
_HTML_RESPONSE = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a page's own form post.
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Add nosniff to every response, and a Content-Security-Policy that forbids framing to HTML ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                extra = _EVERY_RESPONSE + (_HTML_RESPONSE if content_type.startswith(b"text/html") else [])
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, with_headers)
