"""Routing's HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from leadrelay.events.scoring import LeadScored
from leadrelay.routing.adapters.uow import RoutingUnitOfWork
from leadrelay.routing.domain.decide import HANDED_OFF_STAGES, choose_queue

router = APIRouter(prefix="/v1", tags=["routing"])


@router.get("/decisions/{lead_id}")
async def decisions(lead_id: str, request: Request) -> dict[str, Any]:
    """Explain why a lead went where it went: every decision with its trace."""
    async with RoutingUnitOfWork(request.app.state.runtime.sessions) as uow:
        rows = await uow.decisions.for_lead(lead_id)
    if not rows:
        raise HTTPException(404, detail=f"no routing decision for lead {lead_id}")
    return {"lead_id": lead_id, "decisions": rows}


@router.get("/queues")
async def queues(request: Request) -> list[dict[str, Any]]:
    """List the configured queues."""
    return [q.model_dump() for q in request.app.state.config.queues]


@router.get("/reps")
async def reps(request: Request) -> list[dict[str, Any]]:
    """List the configured reps."""
    return [r.model_dump() for r in request.app.state.config.reps]


@router.get("/rules")
async def rules(request: Request) -> list[dict[str, Any]]:
    """List the routing rules in evaluation order."""
    return [r.model_dump() for r in request.app.state.config.rules]


@router.post("/route/preview")
async def preview(lead: LeadScored, request: Request) -> dict[str, Any]:
    """Dry-run a scored lead against the current configuration (nothing is stored or sent)."""
    config = request.app.state.config
    choice = choose_queue(lead.model_dump(mode="json"), config)
    return {
        "handed_off": lead.stage in HANDED_OFF_STAGES and choice.queue is not None,
        "queue": choice.queue.name if choice.queue else None,
        "rule": choice.rule,
        "rules": [c.__dict__ for c in choice.checks],
        "candidates": [r.id for r in config.reps_of(choice.queue.name)] if choice.queue else [],
    }
