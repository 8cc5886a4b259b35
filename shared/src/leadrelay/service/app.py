"""The FastAPI shell every service uses: health, readiness, metrics, errors, size limits."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadrelay.events.asyncapi import asyncapi_document
from leadrelay.observability import metrics as m
from leadrelay.service.access import PUBLIC, KeyRing
from leadrelay.service.headers import add_security_headers

# What FastAPI answers (400) when reading the body raised anything but a JSON syntax error.
FASTAPI_PARSE_FAILURE = "There was an error parsing the body"
UNPARSEABLE = "the document is nested too deeply or cannot be parsed"
ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]
log = structlog.get_logger(__name__)


def create_app(
    *,
    service: str,
    title: str,
    description: str,
    readiness: ReadinessCheck,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = 64 * 1024,
    schemas: Sequence[type[BaseModel]] = (),
    keyring: KeyRing | None = None,
    optional_checks: Collection[str] = (),
) -> FastAPI:
    """Build a service's app with /healthz, /readyz, /metrics, RED metrics and clear 422s.

    schemas: request bodies that endpoints validate themselves (json_body.py), added to the OpenAPI components.
    keyring: the keys of each role the routes' guards check (access.py).
    optional_checks: readiness checks that are reported but do not make the service unready."""
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.keyring = keyring or KeyRing()
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)

    app.add_middleware(RedMetrics, service=service)

    @app.exception_handler(RequestValidationError)
    async def validation_failed(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=validation_body(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # A dict detail is the whole body ({"error": ..., "detail"/"errors": ...}); a string stays {"detail": ...}.
        if exc.status_code == 400 and exc.detail == FASTAPI_PARSE_FAILURE:  # e.g. JSON nested too deeply
            return JSONResponse(status_code=422, content=validation_problem("body", UNPARSEABLE))
        body = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
        return JSONResponse(status_code=exc.status_code, content=body, headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    @app.exception_handler(ConnectionError)
    # Units of work run on the asyncpg driver, whose errors SQLAlchemy does not wrap: any of them, and the
    # driver's own "another operation is in progress" during a restart, means nothing was stored.
    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.exceptions.InternalClientError)
    async def dependency_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # Nothing was committed: tell the client to retry instead of a bare 500.
        log.warning("request_failed_dependency_unavailable", error=type(exc).__name__)
        return JSONResponse(
            status_code=503,
            content={
                "error": "unavailable",
                "detail": "storage is unavailable; nothing was stored, retry later",
            },
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    @app.exception_handler(asyncpg.DataError)
    async def value_not_storable(_: Request, exc: Exception) -> JSONResponse:
        # The database refused a value (out of range, not valid text): retrying can never succeed.
        log.info("request_refused_value_not_storable", error=type(exc).__name__)
        return JSONResponse(
            status_code=422,
            content=validation_problem("body", "a value is out of range or cannot be stored as text"),
        )

    @app.exception_handler(RecursionError)
    async def nested_too_deeply(_: Request, exc: RecursionError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content=validation_problem("body", "the document is nested too deeply")
        )

    _document_components(app, schemas)

    @app.get("/healthz", tags=["health"], dependencies=[Depends(PUBLIC)])
    async def healthz() -> dict[str, str]:
        """Report that the process is alive."""
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["health"], dependencies=[Depends(PUBLIC)])
    async def readyz() -> JSONResponse:
        """Report whether the database and the broker are reachable (and which of them readiness needs)."""
        checks = await readiness()
        ready = all(v == "ok" for name, v in checks.items() if name not in optional_checks)
        return JSONResponse(
            status_code=200 if ready else 503,
            content={
                "status": "ready" if ready else "not_ready",
                "checks": checks,
                "optional": sorted(optional_checks),
            },
        )

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse, dependencies=[Depends(PUBLIC)])
    async def metrics() -> Response:
        """Expose Prometheus metrics."""
        return Response(generate_latest(m.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    events_document = asyncapi_document(service)

    @app.get("/asyncapi.json", tags=["docs"], dependencies=[Depends(PUBLIC)])
    async def asyncapi() -> dict[str, Any]:
        """The AsyncAPI 3.0 document of the topics this service writes and reads."""
        return events_document

    return app


VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "type": "object",
    "required": ["error", "errors"],
    "properties": {
        "error": {"type": "string", "example": "validation_failed"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string", "description": "dotted path of the bad field"},
                    "reason": {"type": "string", "description": "why it was refused, for a person to read"},
                    "type": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def validation_problem(field: str, reason: str) -> dict[str, Any]:
    """Return the body of a 422 about one field."""
    return {"error": "validation_failed", "errors": [{"field": field, "reason": reason}]}


def unprocessable(field: str, reason: str) -> HTTPException:
    """Return a 422 shaped like every other validation error."""
    return HTTPException(422, detail=validation_problem(field, reason))


VALIDATION_PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
}


def _document_components(app: FastAPI, schemas: Sequence[type[BaseModel]]) -> None:
    """Make the OpenAPI document describe the 422 body the app really sends, and the listed bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if schemas:
            # The same generator FastAPI uses for the bodies it validates itself.
            _, defs = models_json_schema(
                [(model, "validation") for model in schemas], ref_template="#/components/schemas/{model}"
            )
            components.update(defs.get("$defs", {}))
        components["HTTPValidationError"] = (
            VALIDATION_PROBLEM_SCHEMA  # VALIDATION_PROBLEM_RESPONSE refers to it
        )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def validation_body(errors: Any) -> dict[str, Any]:
    """Turn pydantic errors into {"errors": [{"field", "reason"}]}, without echoing input values."""
    items = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        items.append({"field": ".".join(loc) or "body", "reason": reason, "type": err.get("type")})
    return {"error": "validation_failed", "errors": items}


class RedMetrics:
    """Count requests and time them per route template, and add the security headers (pure ASGI: no
    per-request task or stream)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                add_security_headers(message)
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")  # the router fills in scope["route"]
            requests, seconds = self._series(scope["method"], path, status)
            requests.inc()
            seconds.observe(time.perf_counter() - started)

    def _series(self, method: str, path: str, status: int) -> tuple[Any, Any]:
        # Looking a labelled child up by its labels takes a lock and builds tuples on every request; the
        # label values are bounded (route templates, status codes), so each child is looked up once.
        key = (method, path, status)
        series = self._children.get(key)
        if series is None:
            series = self._children[key] = (
                m.HTTP_REQUESTS.labels(self.service, method, path, str(status)),
                m.HTTP_SECONDS.labels(self.service, method, path),
            )
        return series


class BodySizeLimit:
    """Reject request bodies larger than max_bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised inside the app's body read, so the app's exception handling answers 413.
                    raise HTTPException(413, detail=f"request body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, send: Send) -> None:
        body = b'{"error":"payload_too_large","detail":"request body exceeds %d bytes"}' % self.max_bytes
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
