"""Response headers that keep browsers from misreading, framing or injecting into the services' pages."""

from __future__ import annotations

from starlette.types import Message

# Pages load their own scripts only; inline style attributes stay allowed (the SVG charts set them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_EVERY_RESPONSE = (b"x-content-type-options", b"nosniff")
_HTML_RESPONSE = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a page's own form post.
    (b"referrer-policy", b"same-origin"),
]


def add_security_headers(start: Message) -> None:
    """Add nosniff to a response start, and a Content-Security-Policy that forbids framing to an HTML one.

    Called from the send wrapper the app's RED metrics already install, so it costs no ASGI layer of its own."""
    headers = start.get("headers", ())
    html = any(name == b"content-type" and value.startswith(b"text/html") for name, value in headers)
    # A new list: a Response may send its own header list object, which must not grow.
    start["headers"] = [*headers, _EVERY_RESPONSE, *(_HTML_RESPONSE if html else ())]
