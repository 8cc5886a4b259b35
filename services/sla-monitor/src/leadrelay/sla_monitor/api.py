"""The SLA monitor's HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from leadrelay.service.app import unprocessable
from leadrelay.sla_monitor.adapters.uow import SlaUnitOfWork
from leadrelay.sla_monitor.handlers import report_contact

router = APIRouter(prefix="/v1", tags=["handoffs"])


class ContactIn(BaseModel):
    """A first-contact report from a sales tool."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default="unknown", max_length=40, pattern=r"^[a-z_]+$")
    at: datetime | None = Field(default=None, description="when contact happened; defaults to now")


@router.post("/handoffs/{handoff_id}/contact")
async def post_contact(
    handoff_id: Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")],
    request: Request,
    body: ContactIn | None = None,
) -> dict[str, Any]:
    """Report first contact for a handoff; stops its clock (repeating the call changes nothing)."""
    body = body or ContactIn()
    runtime = request.app.state.runtime
    at = body.at or datetime.now(UTC)
    if at.tzinfo is None:
        raise unprocessable("at", "needs a time zone offset")
    handoff = await report_contact(
        handoff_id, body.channel, at, SlaUnitOfWork(runtime.sessions), runtime.topics
    )
    return dict(handoff)


@router.get("/handoffs")
async def list_handoffs(
    request: Request,
    state: Literal["open", "contacted", "breached"] | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """List handoffs, soonest deadline first, optionally by state."""
    async with SlaUnitOfWork(request.app.state.runtime.sessions) as uow:
        return await uow.handoffs.list(state, limit)


@router.get("/handoffs/{handoff_id}")
async def get_handoff(handoff_id: str, request: Request) -> dict[str, Any]:
    """Return one handoff's clock."""
    async with SlaUnitOfWork(request.app.state.runtime.sessions) as uow:
        handoff = await uow.handoffs.get(handoff_id)
    if handoff is None:
        raise HTTPException(404, detail=f"unknown handoff {handoff_id}")
    return handoff
