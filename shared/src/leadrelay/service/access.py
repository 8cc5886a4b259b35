"""Who may call what: one role model for every service, keys per role, and the guard each route declares.

Every route declares the roles it accepts with `Depends(access(...))`. On a `GuardedRoute` the guard runs
before FastAPI reads the body, so a stranger learns nothing from validation errors. A missing or unknown key
is 401 naming the header to send; a known key of a role the route does not accept is 403.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import APIKeyHeader
from starlette.routing import BaseRoute, Mount, Route

KEY_HEADER = "X-API-Key"
ADMIN_HEADER = "X-Admin-Key"  # still read for admin keys, as the admin APIs always took them there
FORM_KEY_HEADER = "X-Form-Key"
# FastAPI's own documentation routes: they describe the API and reveal no data.
DOCUMENTATION_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
_SCOPE_KEY = "leadrelay.principal"


class Role(StrEnum):
    """Who a request comes from, weakest first."""

    PUBLIC = "public"  # anyone: health, metrics, a form's public endpoints
    FORM = "form"  # a browser posting with a form's public key
    BACKEND = "backend"  # a site's backend with capture's API key
    SALES = "sales"  # a sales tool: accept, reject, contact, callback, its queues' handoffs
    VIEWER = "viewer"  # read-only reads and dashboards
    ADMIN = "admin"  # configuration; may also do what sales tools and viewers do


@dataclass(frozen=True)
class Principal:
    """An identified caller; key_id names its key without revealing it."""

    role: Role
    key_id: str = ""
    queues: frozenset[str] | None = None  # a key limited to these queues; None means every queue
    form_id: str | None = None

    def may_touch(self, queue: str) -> bool:
        """Return whether this caller may act on or read handoffs of queue."""
        return self.queues is None or queue in self.queues


ANONYMOUS = Principal(Role.PUBLIC)


@dataclass(frozen=True)
class RoleKey:
    """One configured key: `KEY` or `KEY:queue1|queue2` (limited to those queues), and who holds it."""

    secret: bytes
    role: Role
    queues: frozenset[str] | None = None

    @classmethod
    def parse(cls, text: str, role: Role) -> RoleKey:
        """Read a configured key and its optional queue scope."""
        secret, _, scope = text.partition(":")
        queues = frozenset(q.strip() for q in scope.split("|") if q.strip()) if scope else None
        return cls(secret.strip().encode(), role, queues)

    @cached_property
    def principal(self) -> Principal:
        """The caller this key identifies (built once: capture's intake asks on every request)."""
        return Principal(self.role, key_id(self.secret), self.queues)


def key_id(secret: bytes) -> str:
    """Return a short, stable name for a key (a hash prefix), for audits and rate limits."""
    return hashlib.sha256(secret).hexdigest()[:8]


@dataclass
class KeyRing:
    """The keys of every role a service knows; several per role at once, so keys can be rotated."""

    keys: list[RoleKey] = field(default_factory=list)

    @classmethod
    def of(cls, keys_by_role: Mapping[Role, Iterable[str]]) -> KeyRing:
        """Build a ring from configured key texts per role."""
        return cls([RoleKey.parse(text, role) for role, texts in keys_by_role.items() for text in texts])

    def identify(self, presented: str) -> Principal | None:
        """Return the principal a presented key belongs to, comparing with every key in constant time."""
        candidate = presented.encode()
        found: RoleKey | None = None
        for key in self.keys:  # no early exit: the time taken does not say which key matched
            if hmac.compare_digest(candidate, key.secret) and found is None:
                found = key
        return None if found is None else found.principal

    def roles(self) -> set[Role]:
        """Return the roles that have at least one key."""
        return {key.role for key in self.keys}


FormKeyResolver = Callable[[Request, str], Awaitable[Principal | None]]


def accepted_roles(declared: Iterable[Role]) -> frozenset[Role]:
    """Return the roles a route accepts: admin may also do what sales tools and viewers may."""
    roles = frozenset(declared)
    if roles & {Role.SALES, Role.VIEWER}:
        roles |= {Role.ADMIN}
    return roles


class KeyAccess(APIKeyHeader):
    """A route's declared roles; as a dependency it returns the caller or refuses with 401 or 403."""

    def __init__(self, roles: frozenset[Role]) -> None:
        names = ", ".join(sorted(r.value for r in roles))
        super().__init__(
            name=KEY_HEADER,
            scheme_name="apiKey",
            description=f"a key of one of these roles: {names} (browsers send a form's public key as "
            f"{FORM_KEY_HEADER}; admin keys may also come as {ADMIN_HEADER})",
            auto_error=False,
        )
        self.roles = roles

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        cached = request.scope.get(_SCOPE_KEY)
        if isinstance(cached, Principal):
            return cached
        principal = await authorize(request, self.roles)
        request.scope[_SCOPE_KEY] = principal
        return principal


class PublicAccess:
    """The declaration of a route anyone may call."""

    roles = frozenset({Role.PUBLIC})

    async def __call__(self) -> Principal:
        return ANONYMOUS


PUBLIC = PublicAccess()


def access(*roles: Role) -> KeyAccess | PublicAccess:
    """Return the guard of a route that accepts these roles (admin implied for sales and viewer routes)."""
    if roles == (Role.PUBLIC,):
        return PUBLIC
    if Role.PUBLIC in roles or not roles:
        raise ValueError("a route is either public or names the roles it accepts")
    return KeyAccess(accepted_roles(roles))


async def identify(request: Request) -> list[Principal]:
    """Return who the request's key headers name (none when no header holds a known key)."""
    ring: KeyRing = request.app.state.keyring
    found = [
        principal
        for header in (KEY_HEADER, ADMIN_HEADER)
        if (presented := request.headers.get(header)) and (principal := ring.identify(presented)) is not None
    ]
    form_key = request.headers.get(FORM_KEY_HEADER)
    resolver: FormKeyResolver | None = getattr(request.app.state, "form_keys", None)
    if form_key and resolver is not None and not found:
        # Known on every route, so a form key where it does not belong is 403 rather than 401.
        principal = await resolver(request, form_key)
        if principal is not None:
            found.append(principal)
    return found


async def authorize(request: Request, roles: frozenset[Role]) -> Principal:
    """Return the caller when its role is one of roles; 401 for no or an unknown key, 403 for another role."""
    if Role.PUBLIC in roles:
        return ANONYMOUS
    found = await identify(request)
    if not found:
        raise unauthorized(roles)
    accepted = next((p for p in found if p.role in roles), None)
    if accepted is None:
        raise HTTPException(
            403,
            detail={
                "error": "forbidden",
                "detail": f"a key of role {found[0].role.value} may not call this; it needs role "
                + " or ".join(sorted(r.value for r in roles)),
            },
        )
    return accepted


def unauthorized(roles: frozenset[Role]) -> HTTPException:
    """Return the 401 that names the header and the roles a route expects."""
    headers = [f"{FORM_KEY_HEADER} (a form's public key)"] if Role.FORM in roles else []
    keyed = sorted(r.value for r in roles if r is not Role.FORM)
    if keyed:
        headers.insert(0, f"{KEY_HEADER} (a key of role {' or '.join(keyed)})")
    return HTTPException(
        401,
        detail={
            "error": "unauthorized",
            "detail": "send " + " or ".join(headers),
            "header": FORM_KEY_HEADER if not keyed else KEY_HEADER,
        },
        headers={"WWW-Authenticate": f'ApiKey header="{KEY_HEADER}"'},
    )


def caller_of(request: Request) -> Principal | None:
    """Return the caller a route's guard identified, if it ran."""
    principal = request.scope.get(_SCOPE_KEY)
    return principal if isinstance(principal, Principal) else None


def declared_roles(route: BaseRoute | RouteContext) -> frozenset[Role] | None:
    """Return the roles a route declares, or None when it declares none."""
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        for dependency in dependant.dependencies:
            roles = getattr(dependency.call, "roles", None)
            if isinstance(roles, frozenset):
                return roles
        return None
    if isinstance(route, (Route, RouteContext)) and route.path in DOCUMENTATION_PATHS:
        return frozenset({Role.PUBLIC})
    return None


def route_inventory(routes: Sequence[BaseRoute]) -> dict[tuple[str, str], frozenset[Role] | None]:
    """Return every (method, path) an app serves, included routers' routes too, with its declared roles
    (None: undeclared)."""
    inventory: dict[tuple[str, str], frozenset[Role] | None] = {}
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, Mount):
            inventory[("*", context.path or "?")] = None  # a mounted app's routes cannot declare roles here
            continue
        for method in (context.methods or {"*"}) - {"HEAD"}:
            inventory[(method, context.path or "?")] = declared_roles(context)
    return inventory


class GuardedRoute(APIRoute):
    """A route whose declared guard runs before FastAPI reads and validates the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the handler, preceded by the route's access check."""
        handler = super().get_route_handler()
        guard = next(
            (d.call for d in self.dependant.dependencies if isinstance(d.call, KeyAccess)),
            None,
        )
        if guard is None:
            return handler

        async def guarded(request: Request) -> Response:
            await guard(request)
            return await handler(request)

        return guarded


def actor_of(request: Request) -> str:
    """Name the caller's key in an audit entry without storing the key."""
    caller = caller_of(request)
    return f"{caller.role} key {caller.key_id}" if caller and caller.key_id else "unknown caller"
