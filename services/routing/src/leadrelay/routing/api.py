"""Routing's HTTP API: explanations and reads; with X-Admin-Key configuration, accounts, previews and
backtests; with a sales tool's X-API-Key, accepting and rejecting handoffs."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from leadrelay.db.documents import VersionExists, VersionSummary
from leadrelay.events import new_event
from leadrelay.events.handoff import HandoffRejected
from leadrelay.events.scoring import LeadScored
from leadrelay.kafka.admin import TopicsMisshapen
from leadrelay.routing.context import Routing, RoutingContext
from leadrelay.routing.domain.config import RoutingConfig, config_problems, unknown_sla_policies
from leadrelay.routing.domain.decide import HANDED_OFF_STAGES
from leadrelay.routing.domain.handoff import Account, Handoff
from leadrelay.routing.ports import RoutingUnitOfWork
from leadrelay.routing.router import MemoryLedger, route
from leadrelay.service.access import GuardedRoute, Principal, actor_of
from leadrelay.service.admin import require_admin, require_sales, require_viewer

router = APIRouter(
    prefix="/v1", tags=["routing"], dependencies=[Depends(require_viewer)], route_class=GuardedRoute
)
admin = APIRouter(
    prefix="/v1", tags=["routing admin"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)
sales = APIRouter(
    prefix="/v1", tags=["sales tools"], dependencies=[Depends(require_sales)], route_class=GuardedRoute
)

Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
SOURCE = "leadrelay/routing"


def _problem(field: str, reason: str) -> dict[str, str]:
    return {"field": field, "reason": reason}


def parse_config(raw: Any, prefix: str = "") -> RoutingConfig:
    """Validate a configuration document; 422 lists every error with its path."""
    if not isinstance(raw, dict):
        raise HTTPException(
            422,
            detail={
                "error": "validation_failed",
                "errors": [_problem(prefix or "<body>", "expected a mapping")],
            },
        )
    try:
        return RoutingConfig.model_validate(raw)
    except ValidationError as exc:
        errors = config_problems(exc, prefix)
        raise HTTPException(422, detail={"error": "validation_failed", "errors": errors}) from exc


async def _document(request: Request) -> Any:
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        return yaml.safe_load(body) if content_type in YAML_TYPES else json.loads(body or b"null")
    except (yaml.YAMLError, ValueError) as exc:
        raise HTTPException(
            422,
            detail={"error": "validation_failed", "errors": [_problem("<body>", f"not parseable: {exc}")]},
        ) from exc


CONFIG_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RoutingConfig.model_json_schema()},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/decisions/{lead_id}")
async def decisions(ctx: Routing, lead_id: str) -> dict[str, Any]:
    """Explain why a lead went where it went: every decision with its trace."""
    async with ctx.uow() as uow:
        rows = await uow.decisions.for_lead(lead_id)
        handoffs = await uow.handoffs.of_lead(lead_id)
    if not rows:
        raise HTTPException(404, detail=f"no routing decision for lead {lead_id}")
    return {"lead_id": lead_id, "decisions": rows, "handoffs": handoffs}


@router.get("/queues")
async def queues(ctx: Routing) -> list[dict[str, Any]]:
    """List the active configuration's queues."""
    return [q.model_dump() for q in ctx.config.current.queues]


@router.get("/reps")
async def reps(ctx: Routing) -> list[dict[str, Any]]:
    """List the active configuration's reps (calendars, caps, skills)."""
    return [r.model_dump(mode="json") for r in ctx.config.current.reps]


@router.get("/rules")
async def rules(ctx: Routing) -> list[dict[str, Any]]:
    """List the routing rules in evaluation order."""
    return [r.model_dump() for r in ctx.config.current.rules]


@router.get("/sla-policies")
async def sla_policies(ctx: Routing) -> dict[str, Any]:
    """The SLA monitor's active policies as routing last heard of them: the rule of every handoff's due_at."""
    async with ctx.uow() as uow:
        policies = await uow.sla_policies.current()
    if policies is None:
        raise HTTPException(404, detail="no SLA policies announced yet: handoffs carry no due_at until then")
    return policies.model_dump(mode="json")


@admin.get("/config")
async def active_config(ctx: Routing, format: str = Query("json", pattern="^(json|yaml)$")) -> Any:
    """Return the active configuration, as JSON or (format=yaml) YAML to edit and send back."""
    return _render(ctx.config.current, format)


@admin.get("/config/versions")
async def config_versions(ctx: Routing) -> list[VersionSummary]:
    """List stored configuration versions, newest first."""
    return await ctx.config_store.list()  # type: ignore[no-any-return]


@admin.get("/config/versions/{version}")
async def config_version(
    ctx: Routing, version: Version, format: str = Query("json", pattern="^(json|yaml)$")
) -> Any:
    """Return one stored version."""
    config = await ctx.config_store.get(version)
    if config is None:
        raise HTTPException(404, detail=f"no configuration version {version}")
    return _render(config, format)


async def _topics_ready(ctx: RoutingContext, config: RoutingConfig) -> None:
    """Refuse (409) to activate a configuration whose queues' handoff topics are missing or misshapen on a
    cluster where services do not create topics, before anything is stored as active."""
    try:
        await ctx.prepare_topics(config)
    except TopicsMisshapen as exc:
        raise HTTPException(
            409,
            detail={
                "error": "handoff_topics_not_ready",
                "detail": f"{exc} (a new queue's topic: `leadrelay topics apply --queue <name>`)",
            },
        ) from exc


def _render(config: RoutingConfig, format: str) -> Any:
    document = config.model_dump(mode="json")
    if format == "yaml":
        return Response(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), media_type="application/yaml"
        )
    return document


@admin.post("/config", status_code=201, openapi_extra=CONFIG_BODY)
async def add_config(ctx: Routing, request: Request, activate: bool = False) -> dict[str, Any]:
    """Store a new configuration version (JSON or YAML), optionally activating it; audited. Its queues must
    name SLA policies the SLA monitor has (once routing has heard of any)."""
    config = parse_config(await _document(request))
    async with ctx.uow() as uow:
        policies = await uow.sla_policies.current()
    if policies is not None and (problems := unknown_sla_policies(config, policies)):
        raise HTTPException(422, detail={"error": "validation_failed", "errors": problems})
    if activate:
        await _topics_ready(ctx, config)
    try:
        await ctx.config_store.add(config, actor_of(request), datetime.now(UTC), activate=activate)
    except VersionExists as exc:
        raise HTTPException(409, detail={"error": "version_exists", "detail": str(exc)}) from exc
    if activate:
        await ctx.config.refresh()
    return {"version": config.version, "active": activate}


@admin.post("/config/versions/{version}/activate")
async def activate_config(ctx: Routing, version: Version, request: Request) -> dict[str, Any]:
    """Route new leads with a stored version from now on; audited."""
    config = await ctx.config_store.get(version)
    if config is None:
        raise HTTPException(404, detail=f"no configuration version {version}")
    await _topics_ready(ctx, config)
    if not await ctx.config_store.activate(version, actor_of(request), datetime.now(UTC)):
        raise HTTPException(404, detail=f"no configuration version {version}")
    await ctx.config.refresh()
    return {"version": version, "active": True}


class AccountIn(BaseModel):
    """A known account and the rep who owns it."""

    name: str = Field(min_length=1, max_length=200)
    domain: str | None = Field(default=None, max_length=253, pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    owner_id: str = Field(min_length=1, max_length=100)


@admin.post("/accounts")
async def add_accounts(ctx: Routing, accounts: list[AccountIn], request: Request) -> dict[str, Any]:
    """Import accounts as JSON (upserted by name); owners must be configured reps."""
    return await _store_accounts(ctx, request, accounts)


@admin.post(
    "/accounts/import",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_accounts(ctx: Routing, request: Request) -> dict[str, Any]:
    """Import accounts from CSV (columns name, domain, owner_id); every bad row is reported by line."""
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    rows: list[AccountIn] = []
    errors: list[dict[str, str]] = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rows.append(AccountIn.model_validate({k: (v or None) for k, v in row.items() if k}))
        except ValidationError as exc:
            errors.extend(_problem(f"line {line}.{e['loc'][0]}", e["msg"]) for e in exc.errors())
    if errors:
        raise HTTPException(422, detail={"error": "validation_failed", "errors": errors})
    return await _store_accounts(ctx, request, rows)


async def _store_accounts(ctx: Routing, request: Request, accounts: list[AccountIn]) -> dict[str, Any]:
    config = ctx.config.current
    unknown = [
        _problem(f"{i}.owner_id", f"no rep {a.owner_id!r} in the active configuration")
        for i, a in enumerate(accounts)
        if config.rep(a.owner_id) is None
    ]
    if unknown:
        raise HTTPException(422, detail={"error": "validation_failed", "errors": unknown})
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        written = await uow.accounts.upsert([Account(a.name, a.owner_id, a.domain) for a in accounts], now)
        await uow.commit()
    await ctx.audit.record(actor_of(request), "accounts_imported", None, {"accounts": written}, now)
    return {"imported": written}


@admin.get("/accounts")
async def list_accounts(ctx: Routing) -> list[Account]:
    """List known accounts and their owners."""
    async with ctx.uow() as uow:
        return await uow.accounts.all()


class PreviewIn(BaseModel):
    """A scored lead and, optionally, a draft configuration."""

    lead: LeadScored
    config: dict[str, Any] | None = Field(default=None, description="a draft configuration (not stored)")


@admin.post("/route/preview")
async def preview(ctx: Routing, body: PreviewIn) -> dict[str, Any]:
    """Dry-run a scored lead against the active or a draft configuration, with today's loads; nothing changes."""
    config = parse_config(body.config, "config.") if body.config is not None else ctx.config.current
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        loads = await uow.handoffs.loads({r.id: now for r in config.reps})
    from leadrelay.routing.domain.strategies import RepLoad

    ledger = MemoryLedger({rep: RepLoad(open=c[0], today=c[1]) for rep, c in loads.items()})
    decision = await route(body.lead.model_dump(mode="json"), config, now, ledger)
    return {
        "handed_off": body.lead.stage in HANDED_OFF_STAGES,
        "queue": decision.queue.name,
        "owner": decision.owner.id if decision.owner else f"pool:{decision.queue.name}",
        "rule": decision.rule,
        "strategy": decision.strategy,
        "config_version": config.version,
        "trace": decision.trace,
    }


class BacktestIn(BaseModel):
    """A draft configuration and how many recent leads to replay."""

    config: dict[str, Any]
    last: int = Field(default=500, ge=1, le=10_000)


@admin.post("/backtest")
async def backtest(ctx: Routing, body: BacktestIn) -> dict[str, Any]:
    """Replay the last N handed-off leads against a draft (at their own decision times, loads starting
    empty) and report how assignments would change, per queue and per rep. Matching is not replayed."""
    draft = parse_config(body.config, "config.")
    async with ctx.uow() as uow:
        history = await uow.decisions.recent_handoffs(body.last)
        scored = {d.lead_id: await uow.leads.scored(d.lead_id) for d in history}
    ledger = MemoryLedger()
    before_queue: Counter[str] = Counter()
    after_queue: Counter[str] = Counter()
    before_rep: Counter[str] = Counter()
    after_rep: Counter[str] = Counter()
    changes = []
    for past in history:
        lead = scored.get(past.lead_id)
        if lead is None:  # erased since
            continue
        decision = await route(lead.model_dump(mode="json"), draft, past.decided_at, ledger)
        owner = decision.owner.id if decision.owner else f"pool:{decision.queue.name}"
        if decision.owner:
            ledger.assigned(decision.owner.id)
        before_queue[past.queue or ""] += 1
        after_queue[decision.queue.name] += 1
        before_rep[past.owner_id or ""] += 1
        after_rep[owner] += 1
        if (past.queue, past.owner_id) != (decision.queue.name, owner):
            changes.append(
                {
                    "lead_id": past.lead_id,
                    "before": {"queue": past.queue, "owner": past.owner_id},
                    "after": {"queue": decision.queue.name, "owner": owner},
                }
            )
    replayed = sum(before_queue.values())
    return {
        "config_version": draft.version,
        "replayed": replayed,
        "changed": len(changes),
        "per_queue": {
            q: {"before": before_queue[q], "after": after_queue[q]}
            for q in sorted(before_queue | after_queue)
        },
        "per_rep": {
            r: {"before": before_rep[r], "after": after_rep[r]} for r in sorted(before_rep | after_rep)
        },
        "changes": changes[:100],
    }


HandoffId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]


@sales.post("/handoffs/{handoff_id}/accept")
async def accept(
    ctx: Routing,
    handoff_id: HandoffId,
    caller: Annotated[Principal, Depends(require_sales)],
) -> dict[str, Any]:
    """The owner takes the handoff on (it stays open until first contact)."""
    async with ctx.uow() as uow:
        handoff = await _open_handoff(uow, handoff_id, caller)
        if handoff.state != "accepted":
            await uow.handoffs.save(handoff.accept())
            await uow.commit()
    return {"handoff_id": handoff_id, "state": "accepted"}


class Rejection(BaseModel):
    """Why sales turned the lead down (marketing reads it)."""

    reason: str = Field(min_length=1, max_length=500)


@sales.post("/handoffs/{handoff_id}/reject")
async def reject(
    ctx: Routing,
    handoff_id: HandoffId,
    body: Rejection,
    caller: Annotated[Principal, Depends(require_sales)],
) -> dict[str, Any]:
    """The owner turns the lead down: HandoffRejected sends it back to nurture with the reason."""
    now = datetime.now(UTC)
    topics = ctx.runtime.topics
    async with ctx.uow() as uow:
        handoff = await _open_handoff(uow, handoff_id, caller)
        await uow.handoffs.save(handoff.reject(now, body.reason))
        event = HandoffRejected(
            handoff_id=handoff_id,
            lead_id=handoff.lead_id,
            owner_id=handoff.owner_id,
            queue=handoff.queue,
            attempt=handoff.attempt,
            reason=body.reason,
            at=now,
        )
        uow.outbox.add(new_event(event, source=SOURCE, subject=handoff.lead_id), topics.rejected)
        await uow.commit()
    return {"handoff_id": handoff_id, "state": "rejected"}


async def _open_handoff(uow: RoutingUnitOfWork, handoff_id: str, caller: Principal) -> Handoff:
    handoff = await uow.handoffs.get(handoff_id, lock=True)
    if handoff is None:
        raise HTTPException(404, detail=f"no handoff {handoff_id}")
    if not caller.may_touch(handoff.queue):
        raise HTTPException(
            403,
            detail={"error": "forbidden", "detail": f"this key may not act on {handoff.queue}'s handoffs"},
        )
    if not handoff.is_open:
        raise HTTPException(
            409, detail={"error": "handoff_closed", "detail": f"the handoff is {handoff.state}"}
        )
    return handoff
