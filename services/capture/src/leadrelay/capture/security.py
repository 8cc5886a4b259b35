"""Who may post: API keys for backends, public form keys for browsers, origins, client IPs, rate limits."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import HTTPException, Request
from limits import parse

from leadrelay.capture.context import capture_context
from leadrelay.capture.domain.forms import Form
from leadrelay.capture.metrics import RATE_LIMITED
from leadrelay.service.access import KeyAccess, Principal, Role, unauthorized
from leadrelay.service.clients import client_ip
from leadrelay.service.ratelimit import SlidingWindowCounter, retry_after_header


@dataclass(frozen=True)
class Caller:
    """An admitted caller: a backend (API key) or a browser posting a form (public key), and its IP."""

    principal: Principal
    ip: str
    form: Form | None = None

    @property
    def is_backend(self) -> bool:
        return self.principal.role is Role.BACKEND


class Admission(KeyAccess):
    """Capture's guard: identify the caller and count it against its rate limit before the body is read.

    A refused request (no key, an unknown key, another role, a disallowed origin) counts against its IP, so a
    flood of them is throttled like any other; a backend counts against its own key's quota instead of the IP.
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        admitted = request.scope.get(_CALLER)
        if isinstance(admitted, Caller):
            return admitted
        ctx = capture_context(request)
        ip = client_ip(request, ctx.settings.trusted_proxies)
        try:
            principal = await super().__call__(request)
        except HTTPException:
            ctx.rate_limits.check(ip, None)
            raise
        if principal.role is Role.BACKEND:
            ctx.rate_limits.check_backend(principal.key_id)
            caller = Caller(principal, ip)
        else:
            form = (await ctx.form_store.current()).by_id(principal.form_id or "")
            if form is None:  # deleted since its key was read
                ctx.rate_limits.check(ip, None)
                raise unauthorized(self.roles)
            ctx.rate_limits.check(ip, form.id)
            caller = Caller(principal, ip, form)
        request.scope[_CALLER] = caller
        return caller


_CALLER = "leadrelay.capture.caller"
INTAKE = Admission(frozenset({Role.FORM, Role.BACKEND}))
BACKEND_ONLY = Admission(frozenset({Role.BACKEND}))


async def form_key_principal(request: Request, key: str) -> Principal | None:
    """Return the form whose public key this is as a caller; 403 when the browser's origin may not post it."""
    form = (await capture_context(request).form_store.current()).by_public_key(key)
    if form is None:
        return None
    check_origin(request, form)
    return Principal(Role.FORM, key_id=f"form:{form.id}", form_id=form.id)


def check_origin(request: Request, form: Form) -> None:
    """Refuse a browser request from an origin the form does not allow, or without one unless the form
    allows that (403)."""
    origin = request.headers.get("origin")
    if origin is None:
        if not form.allow_missing_origin:
            raise HTTPException(
                403,
                detail={"error": "origin_required", "detail": f"{form.id} takes posts from its pages only"},
            )
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"  # capture's own pages (the demo)
    if origin not in form.allowed_origins and origin != own:
        raise HTTPException(
            403, detail={"error": "origin_not_allowed", "detail": f"{origin} may not post {form.id}"}
        )


class RateLimits:
    """Sliding-window limits per client IP, per form and per backend key, in this process's memory (O(1)
    per request)."""

    def __init__(self, per_ip: str, per_form: str, per_backend_key: str) -> None:
        self._counters = {
            scope: _counter(spec)
            for scope, spec in (("ip", per_ip), ("form", per_form), ("backend", per_backend_key))
        }

    def check(self, ip: str, form_id: str | None) -> None:
        """Count one public request against its IP (and form); raise 429 with Retry-After over a limit."""
        at = time.time()
        self._hit("ip", ip, at)
        if form_id:
            self._hit("form", form_id, at)

    def check_backend(self, key_id: str) -> None:
        """Count one request of a backend against its key's quota."""
        self._hit("backend", key_id, time.time())

    def _hit(self, scope: str, key: str, at: float) -> None:
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
