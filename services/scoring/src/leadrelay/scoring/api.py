"""Scoring's HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from leadrelay.events.lead import LeadCaptured
from leadrelay.scoring.adapters.uow import ScoringUnitOfWork
from leadrelay.scoring.domain.rules import score_lead
from leadrelay.scoring.handlers import reasons_of

router = APIRouter(prefix="/v1", tags=["scoring"])


class ScoreView(BaseModel):
    """A lead's latest score."""

    lead_id: str
    score: int
    fit: int
    engagement: int
    grade: str
    stage: str
    reasons: list[dict[str, Any]]
    ruleset_version: str
    times_scored: int


@router.get("/scores/{lead_id}", response_model=ScoreView)
async def get_score(lead_id: str, request: Request) -> ScoreView:
    """Return a lead's latest score."""
    async with ScoringUnitOfWork(request.app.state.runtime.sessions) as uow:
        row = await uow.scores.get(lead_id)
    if row is None:
        raise HTTPException(404, detail=f"no score for lead {lead_id}")
    return ScoreView(**row)


@router.get("/rulesets/current")
async def current_ruleset(request: Request) -> dict[str, Any]:
    """Return the active rule set."""
    return dict(request.app.state.ruleset.model_dump())


@router.post("/score/preview")
async def preview(lead: LeadCaptured, request: Request) -> dict[str, Any]:
    """Score a lead (LeadCaptured data) against the active rule set without storing anything."""
    result = score_lead(lead.model_dump(mode="json"), request.app.state.ruleset)
    return {
        "score": result.score,
        "fit": result.fit,
        "engagement": result.engagement,
        "grade": result.grade,
        "stage": result.stage,
        "reasons": [r.model_dump() for r in reasons_of(result)],
        "ruleset_version": result.ruleset_version,
    }
