"""The SLA monitor's HTTP API: contact and callbacks, the read side, and (with X-Admin-Key) policies."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadrelay.db.documents import VersionExists, VersionSummary
from leadrelay.service.access import GuardedRoute, Principal, Role, access, actor_of
from leadrelay.service.admin import require_admin, require_sales, require_viewer
from leadrelay.service.app import unprocessable
from leadrelay.sla_monitor.context import SlaMonitor
from leadrelay.sla_monitor.domain.clock import Clock, ClockClosed, Compliance
from leadrelay.sla_monitor.handlers import (
    CallbackRefused,
    ForeignHandoff,
    UnknownHandoff,
    report_contact,
    schedule_callback,
)
from leadrelay.sla_policies import PolicySet

router = APIRouter(prefix="/v1", tags=["handoffs"], route_class=GuardedRoute)
admin = APIRouter(
    prefix="/v1", tags=["sla admin"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)

# Sales tools read their queues' handoffs; viewers (and admins) read every queue's.
READ_HANDOFFS = access(Role.SALES, Role.VIEWER)
HandoffId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class ContactIn(BaseModel):
    """A first-contact report from a sales tool."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default="unknown", max_length=40, pattern=r"^[a-z_]+$")
    at: datetime | None = Field(default=None, description="when contact happened; defaults to now")


CONTACT_CLOCK_SKEW = timedelta(minutes=5)


@router.post("/handoffs/{handoff_id}/contact")
async def post_contact(
    ctx: SlaMonitor,
    handoff_id: HandoffId,
    caller: Annotated[Principal, Depends(require_sales)],
    body: ContactIn | None = None,
) -> Clock:
    """Report first contact for a handoff; stops its clock (repeating the call changes nothing)."""
    body = body or ContactIn()
    now = datetime.now(UTC)
    at = body.at or now
    if at.tzinfo is None:
        raise unprocessable("at", "needs a time zone offset")
    if at > now + CONTACT_CLOCK_SKEW:
        raise unprocessable("at", "first contact cannot be reported for the future")
    try:
        handoff = await report_contact(
            handoff_id,
            body.channel,
            at,
            ctx.uow(),
            ctx.runtime.topics,
            caller.may_touch,
        )
    except UnknownHandoff:
        raise _unknown(handoff_id) from None
    except ForeignHandoff as exc:
        raise _foreign(exc) from None
    return handoff


class CallbackIn(BaseModel):
    """A callback time the lead asked for."""

    model_config = ConfigDict(extra="forbid")

    at: datetime = Field(description="when the lead wants to be called, with a time zone offset")


@router.post("/handoffs/{handoff_id}/callback")
async def post_callback(
    ctx: SlaMonitor,
    handoff_id: HandoffId,
    body: CallbackIn,
    caller: Annotated[Principal, Depends(require_sales)],
) -> Clock:
    """Move an open handoff's deadline to the callback time the lead asked for, plus the policy's grace."""
    if body.at.tzinfo is None:
        raise unprocessable("at", "needs a time zone offset")
    uow = ctx.uow()
    try:
        return await schedule_callback(
            handoff_id, body.at, uow, ctx.policies.current, caller.may_touch, datetime.now(UTC)
        )
    except UnknownHandoff:
        raise _unknown(handoff_id) from None
    except ForeignHandoff as exc:
        raise _foreign(exc) from None
    except CallbackRefused as exc:
        raise unprocessable("at", str(exc)) from None
    except ClockClosed as exc:
        raise HTTPException(409, detail={"error": "clock_closed", "detail": str(exc)}) from exc


def _unknown(handoff_id: str) -> HTTPException:
    # A sales tool that read the handoff from Kafka can be a few milliseconds ahead of this monitor: it retries.
    return HTTPException(
        404,
        detail={"error": "not_found", "detail": f"unknown handoff {handoff_id}; a new one may take a second"},
        headers={"Retry-After": "1"},
    )


def _foreign(exc: ForeignHandoff) -> HTTPException:
    return HTTPException(403, detail={"error": "forbidden", "detail": f"this key may not act on queue {exc}"})


@router.get("/handoffs")
async def list_handoffs(
    ctx: SlaMonitor,
    caller: Annotated[Principal, Depends(READ_HANDOFFS)],
    state: Literal["open", "contacted", "breached", "rejected", "replaced"] | None = None,
    queue: str | None = Query(default=None, max_length=63),
    owner: str | None = Query(default=None, max_length=100),
    overdue: bool | None = Query(default=None, description="breached, or open past the deadline"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[Clock]:
    """List handoffs, soonest deadline first, filtered by state, queue, owner and being overdue (a sales key
    limited to some queues sees only theirs)."""
    if queue is not None and not caller.may_touch(queue):
        raise HTTPException(
            403, detail={"error": "forbidden", "detail": f"this key may not read queue {queue}"}
        )
    async with ctx.uow() as uow:
        return await uow.handoffs.list(
            state, limit, queue=queue, owner=owner, overdue=overdue, within=caller.queues
        )


@router.get("/handoffs/{handoff_id}")
async def get_handoff(
    ctx: SlaMonitor, handoff_id: HandoffId, caller: Annotated[Principal, Depends(READ_HANDOFFS)]
) -> Clock:
    """Return one handoff's clock."""
    async with ctx.uow() as uow:
        handoff = await uow.handoffs.get(handoff_id)
    if handoff is None or not caller.may_touch(handoff.queue or ""):
        raise _unknown(handoff_id)  # another queue's handoff is not this key's to know about
    return handoff


@router.get("/compliance", dependencies=[Depends(require_viewer)])
async def compliance(
    ctx: SlaMonitor,
    by: Literal["owner", "queue"] = "queue",
    hours: float = Query(default=24 * 7, gt=0, le=24 * 366),
) -> dict[str, Any]:
    """SLA compliance per rep or queue over the last hours, with routing and rep time p50/p95."""
    since = datetime.now(UTC) - timedelta(hours=hours)
    async with ctx.uow() as uow:
        rows = await uow.handoffs.compliance(by, since)
    return {"by": by, "since": since, "rows": [_compliance_row(by, row) for row in rows]}


def _compliance_row(by: str, row: Compliance) -> dict[str, Any]:
    figures = {k: v for k, v in asdict(row).items() if k != "group"}
    return {by: row.group, **figures, "compliance": row.compliance}


def _policies(raw: Any) -> PolicySet:
    try:
        return PolicySet.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "<root>",
                "reason": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        raise HTTPException(422, detail={"error": "validation_failed", "errors": errors}) from exc


@admin.get("/policies")
async def active_policies(ctx: SlaMonitor, format: str = Query("json", pattern="^(json|yaml)$")) -> Any:
    """Return the active policies, as JSON or (format=yaml) YAML to edit and send back."""
    document = ctx.policies.current.model_dump(mode="json")
    if format == "yaml":
        return Response(yaml.safe_dump(document, sort_keys=False), media_type="application/yaml")
    return document


@admin.get("/policies/versions")
async def policy_versions(ctx: SlaMonitor) -> list[VersionSummary]:
    """List stored policy versions, newest first."""
    return await ctx.policy_store.list()  # type: ignore[no-any-return]


@admin.post("/policies", status_code=201)
async def add_policies(ctx: SlaMonitor, request: Request, activate: bool = False) -> dict[str, Any]:
    """Store a new policy version (JSON or YAML); optionally activate it for clocks started from now on."""
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        raw = yaml.safe_load(body) if content_type in YAML_TYPES else json.loads(body or b"null")
    except (yaml.YAMLError, ValueError) as exc:
        raise unprocessable("<body>", f"not parseable: {exc}") from exc
    policies = _policies(raw)
    try:
        await ctx.policy_store.add(policies, actor_of(request), datetime.now(UTC), activate)
    except VersionExists as exc:
        raise HTTPException(409, detail={"error": "version_exists", "detail": str(exc)}) from exc
    if activate:
        await ctx.policies.refresh()
    return {"version": policies.version, "active": activate}


@admin.post("/policies/versions/{version}/activate")
async def activate_policies(
    ctx: SlaMonitor, version: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")], request: Request
) -> dict[str, Any]:
    """Use a stored policy version for clocks started from now on."""
    if not await ctx.policy_store.activate(version, actor_of(request), datetime.now(UTC)):
        raise HTTPException(404, detail=f"no policy version {version}")
    await ctx.policies.refresh()
    return {"version": version, "active": True}
