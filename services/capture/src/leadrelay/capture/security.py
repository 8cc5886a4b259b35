"""Who may post: API keys for backends, public form keys for browsers, origins, client IPs, rate limits."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from ipaddress import ip_address

from fastapi import HTTPException, Request
from limits import parse

from leadrelay.capture.domain.forms import Form, FormsConfig
from leadrelay.capture.domain.ratelimit import SlidingWindowCounter, retry_after_header
from leadrelay.capture.metrics import RATE_LIMITED


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: a backend (API key) or a browser posting a form (public key)."""

    kind: str
    form: Form | None = None


def unauthorized() -> HTTPException:
    """Return the 401 for a request with no valid key."""
    return HTTPException(
        401,
        detail={"error": "unauthorized", "detail": "send X-API-Key (backends) or X-Form-Key (browser forms)"},
    )


def authenticate(request: Request, api_keys: list[str], forms: FormsConfig) -> Caller:
    """Return the caller, or raise 401; a browser's Origin must be one its form allows."""
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        if any(hmac.compare_digest(api_key.encode(), k.encode()) for k in api_keys):
            return Caller("backend")
        raise unauthorized()
    form_key = request.headers.get("x-form-key")
    form = forms.by_public_key(form_key) if form_key else None
    if form is None:
        raise unauthorized()
    check_origin(request, form)
    return Caller("form", form)


async def require_caller(request: Request) -> Caller:
    """FastAPI dependency: authenticate before the body is validated (a stranger learns nothing)."""
    state = request.app.state
    return authenticate(request, state.settings.api_keys, await state.form_store.current())


def check_origin(request: Request, form: Form) -> None:
    """Refuse a browser request from an origin the form does not allow (403)."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"  # capture's own pages (the demo)
    if origin is not None and origin not in form.allowed_origins and origin != own:
        raise HTTPException(
            403, detail={"error": "origin_not_allowed", "detail": f"{origin} may not post {form.id}"}
        )


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """Return the client's IP: X-Forwarded-For is read only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or peer not in trusted_proxies:
        return peer
    # Walk from the nearest hop back; the first address that is not one of our proxies is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ip_address(hop)
        except ValueError:
            return peer
        if hop not in trusted_proxies:
            return hop
    return peer


class RateLimits:
    """Sliding-window limits per client IP and per form, in this process's memory (O(1) per request)."""

    def __init__(self, per_ip: str, per_form: str) -> None:
        self._counters = {scope: _counter(spec) for scope, spec in (("ip", per_ip), ("form", per_form))}

    def check(self, ip: str, form_id: str | None) -> None:
        """Count one request; raise 429 with Retry-After when a limit is exceeded."""
        at = time.time()
        for scope, key in (("ip", ip), ("form", form_id)):
            if not key:  # a backend posts without a form
                continue
            wait_s = self._counters[scope].hit(key, at)
            if wait_s is not None:
                RATE_LIMITED.labels(scope).inc()
                raise HTTPException(
                    429,
                    detail={"error": "rate_limited", "detail": f"too many requests per {scope}; retry later"},
                    headers={"Retry-After": retry_after_header(wait_s)},
                )


def _counter(spec: str) -> SlidingWindowCounter:
    # The `limits` package parses "60/minute"; its in-memory storage is not used because it starts a
    # timer thread every few milliseconds under load, which cost capture a sixth of its CPU.
    item = parse(spec)
    return SlidingWindowCounter(item.amount, item.get_expiry())
