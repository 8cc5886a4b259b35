"""Scoring's HTTP API: scores, and (with X-Admin-Key) rule sets, models, re-score jobs and previews."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from leadrelay.db.documents import VersionExists, VersionSummary
from leadrelay.events.lead import LeadCaptured
from leadrelay.scoring.context import ScoringDeps
from leadrelay.scoring.domain.facts import Activity
from leadrelay.scoring.domain.rules import RuleSet, RuleSetError, parse_ruleset
from leadrelay.scoring.scorer import ServedModel, assess
from leadrelay.service.access import GuardedRoute, actor_of
from leadrelay.service.admin import require_admin, require_viewer

router = APIRouter(
    prefix="/v1", tags=["scoring"], dependencies=[Depends(require_viewer)], route_class=GuardedRoute
)
admin = APIRouter(
    prefix="/v1", tags=["scoring admin"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)

Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class ScoreView(BaseModel):
    """A lead's latest score."""

    lead_id: str
    score: int
    fit: int
    engagement: int
    grade: str
    stage: str
    probability: float | None = None
    reasons: list[dict[str, Any]]
    qualification: list[dict[str, Any]] = Field(default_factory=list)
    ruleset_version: str
    model_version: str | None = None
    times_scored: int


@router.get("/scores/{lead_id}", response_model=ScoreView)
async def get_score(ctx: ScoringDeps, lead_id: str) -> ScoreView:
    """Return a lead's latest score."""
    async with ctx.uow() as uow:
        score = await uow.scores.get(lead_id)
    if score is None:
        raise HTTPException(404, detail=f"no score for lead {lead_id}")
    return ScoreView.model_validate(score, from_attributes=True)


def _invalid(error: RuleSetError) -> HTTPException:
    return HTTPException(422, detail={"error": "validation_failed", "errors": error.problems})


async def _document(request: Request) -> Any:
    """Read a rule set sent as JSON or YAML (by Content-Type)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        return (
            yaml.safe_load(body)
            if content_type in YAML_TYPES or content_type.endswith("+yaml")
            else _json(body)
        )
    except (yaml.YAMLError, ValueError) as exc:
        raise HTTPException(
            422,
            detail={
                "error": "validation_failed",
                "errors": [{"field": "<body>", "reason": f"not parseable: {exc}"}],
            },
        ) from exc


def _json(body: bytes) -> Any:
    import json

    return json.loads(body or b"null")


RULESET_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RuleSet.model_json_schema()},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


@admin.get("/rulesets")
async def list_rulesets(ctx: ScoringDeps) -> list[VersionSummary]:
    """List the stored rule set versions, newest first; one is active."""
    return await ctx.rulesets.list()  # type: ignore[no-any-return]


@admin.post("/rulesets/validate", openapi_extra=RULESET_BODY)
async def validate_ruleset(request: Request) -> dict[str, Any]:
    """Check a rule set (JSON or YAML) and report every error with its path; stores nothing."""
    try:
        ruleset = parse_ruleset(await _document(request))
    except RuleSetError as exc:
        return {"valid": False, "errors": exc.problems}
    return {"valid": True, "version": ruleset.version, "errors": []}


@admin.post("/rulesets", status_code=201, openapi_extra=RULESET_BODY)
async def add_ruleset(
    ctx: ScoringDeps, request: Request, activate: bool = False, rescore: bool = False
) -> dict[str, Any]:
    """Store a new rule set version (JSON or YAML); optionally activate it, and re-score stored leads."""
    try:
        ruleset = parse_ruleset(await _document(request))
    except RuleSetError as exc:
        raise _invalid(exc) from exc
    try:
        await ctx.rulesets.add(ruleset, actor_of(request), datetime.now(UTC))
    except VersionExists as exc:
        raise HTTPException(409, detail={"error": "version_exists", "detail": str(exc)}) from exc
    answer: dict[str, Any] = {"version": ruleset.version, "active": False}
    if activate:
        answer = await _activate(ctx, request, ruleset.version, rescore)
    return answer


@admin.get("/rulesets/active")
async def active_ruleset(ctx: ScoringDeps) -> dict[str, Any]:
    """Return the rule set scoring uses now."""
    return dict(ctx.state.current.ruleset.model_dump(mode="json"))


@admin.get("/rulesets/{version}", responses={200: {"content": {"application/yaml": {}}}})
async def get_ruleset(
    ctx: ScoringDeps, version: Version, format: str = Query("json", pattern="^(json|yaml)$")
) -> Any:
    """Return one version, as JSON or (format=yaml) as YAML to edit and send back."""
    ruleset = await ctx.rulesets.get(version)
    if ruleset is None:
        raise HTTPException(404, detail=f"no rule set version {version}")
    document = ruleset.model_dump(mode="json", exclude_defaults=False)
    if format == "yaml":
        return Response(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), media_type="application/yaml"
        )
    return document


class Activation(BaseModel):
    """Whether activating also re-scores the leads scoring already holds."""

    rescore: bool = False


@admin.post("/rulesets/{version}/activate")
async def activate_ruleset(
    ctx: ScoringDeps, version: Version, request: Request, body: Activation | None = None
) -> dict[str, Any]:
    """Make a version active for new scores; old scores change only with rescore=true (a background job)."""
    return await _activate(ctx, request, version, body.rescore if body else False)


async def _activate(ctx: ScoringDeps, request: Request, version: str, rescore: bool) -> dict[str, Any]:
    now = datetime.now(UTC)
    if not await ctx.rulesets.activate(version, actor_of(request), now):
        raise HTTPException(404, detail=f"no rule set version {version}")
    await ctx.state.refresh()
    answer: dict[str, Any] = {"version": version, "active": True, "rescore_job": None}
    if rescore:
        answer["rescore_job"] = job = await ctx.rescore_jobs.create(version)
        await ctx.audit.record(actor_of(request), "rescore_started", version, {"job": job["id"]}, now)
    return answer


class RescoreIn(BaseModel):
    """Which rule set version a re-score job uses (default: the active one)."""

    ruleset_version: str | None = Field(default=None, max_length=100)


@admin.post("/rescore-jobs", status_code=202)
async def start_rescore(ctx: ScoringDeps, request: Request, body: RescoreIn | None = None) -> dict[str, Any]:
    """Re-score every stored lead under the active rule set (or a given version); poll its progress."""
    version = (body.ruleset_version if body else None) or ctx.state.current.ruleset.version
    if await ctx.rulesets.get(version) is None:
        raise HTTPException(404, detail=f"no rule set version {version}")
    job: dict[str, Any] = await ctx.rescore_jobs.create(version)
    await ctx.audit.record(
        actor_of(request), "rescore_started", version, {"job": job["id"]}, datetime.now(UTC)
    )
    return job


@admin.get("/rescore-jobs/{job_id}")
async def rescore_progress(ctx: ScoringDeps, job_id: str) -> dict[str, Any]:
    """A re-score job's progress: state, total, done, changed, percent."""
    job = await ctx.rescore_jobs.get(job_id)
    if job is None:
        raise HTTPException(404, detail=f"no re-score job {job_id}")
    return job  # type: ignore[no-any-return]


@admin.get("/models")
async def list_models(ctx: ScoringDeps) -> list[dict[str, Any]]:
    """List registered model versions with their metrics and training summary, newest first."""
    return await ctx.registry.list()  # type: ignore[no-any-return]


@admin.post("/models/{version}/activate")
async def activate_model(ctx: ScoringDeps, version: Version, request: Request) -> dict[str, Any]:
    """Serve a registered model version from now on."""
    try:
        found = await ctx.registry.activate(version, actor_of(request), datetime.now(UTC))
    except ValueError as exc:
        raise HTTPException(409, detail={"error": "not_servable", "detail": str(exc)}) from exc
    if not found:
        raise HTTPException(404, detail=f"no model version {version}")
    await ctx.state.refresh()
    return {"version": version, "active": True}


@admin.post("/models/retrain", status_code=201)
async def retrain(ctx: ScoringDeps, request: Request, activate: bool = True) -> dict[str, Any]:
    """Train a new model version now from the LeadOutcome events received, and (by default) activate it."""
    trainer = ctx.trainer
    try:
        return await trainer.retrain(activate=activate, actor=actor_of(request))  # type: ignore[no-any-return]
    except ValueError as exc:
        raise HTTPException(409, detail={"error": "cannot_train", "detail": str(exc)}) from exc


class ActivityIn(BaseModel):
    """An activity for a preview."""

    kind: str = Field(max_length=40)
    at: datetime


class PreviewIn(BaseModel):
    """A lead (LeadCaptured data) and, optionally, its activities, a draft rule set and a model version."""

    lead: LeadCaptured
    activities: list[ActivityIn] = Field(default_factory=list, max_length=1000)
    ruleset: dict[str, Any] | None = Field(default=None, description="a draft rule set (not stored)")
    ruleset_version: str | None = Field(default=None, description="a stored version instead of the active")
    model_version: str | None = Field(default=None, description="a registered model instead of the active")
    use_model: bool = True


@admin.post("/score/preview")
async def preview(ctx: ScoringDeps, body: PreviewIn) -> dict[str, Any]:
    """What a lead would get under the active or a draft rule set and model; nothing is stored or sent."""
    current = ctx.state.current
    ruleset = current.ruleset
    if body.ruleset is not None:
        try:
            ruleset = parse_ruleset(body.ruleset)
        except RuleSetError as exc:
            raise HTTPException(
                422,
                detail={
                    "error": "validation_failed",
                    "errors": [
                        {"field": f"ruleset.{p['field']}", "reason": p["reason"]} for p in exc.problems
                    ],
                },
            ) from exc
    elif body.ruleset_version is not None:
        stored = await ctx.rulesets.get(body.ruleset_version)
        if stored is None:
            raise HTTPException(404, detail=f"no rule set version {body.ruleset_version}")
        ruleset = stored
    model: ServedModel | None = current.model if body.use_model else None
    if body.use_model and body.model_version is not None:
        try:
            model = await ctx.model_cache.get(body.model_version)
        except ValueError as exc:
            raise HTTPException(409, detail={"error": "not_servable", "detail": str(exc)}) from exc
        if model is None:
            raise HTTPException(404, detail=f"no model version {body.model_version}")
    activities = [Activity(a.kind, a.at) for a in body.activities]
    assessment = assess(body.lead.model_dump(mode="json"), activities, datetime.now(UTC), ruleset, model)
    result = assessment.result
    return {
        "score": result.score,
        "fit": result.fit,
        "engagement": result.engagement,
        "grade": result.grade,
        "stage": result.stage,
        "probability": assessment.probability,
        "reasons": [r.model_dump(exclude_none=True) for r in assessment.reasons()],
        "qualification": [c.model_dump() for c in assessment.checklists()],
        "ruleset_version": result.ruleset_version,
        "model_version": assessment.model_version,
    }
