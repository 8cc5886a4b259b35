"""Capture's JSON API for backends and browsers: leads and activities."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import AwareDatetime

from leadrelay.capture.captcha import token_from
from leadrelay.capture.context import Capture, capture_context
from leadrelay.capture.handlers import Idempotency, IdempotencyKeyReused, record_activity
from leadrelay.capture.metrics import LEADS
from leadrelay.capture.schemas import ActivityAccepted, ActivityIn, LeadAccepted, LeadIn, Receipt
from leadrelay.capture.security import BACKEND_ONLY, INTAKE, Caller
from leadrelay.service.access import GuardedRoute
from leadrelay.service.app import VALIDATION_PROBLEM_RESPONSE, unprocessable
from leadrelay.service.json_body import RequestRoute, json_body_openapi, optional_header, parse_json_body

router = APIRouter(prefix="/v1", tags=["leads"], route_class=GuardedRoute)

LeadId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="a lead id from LeadAccepted")]


IDEMPOTENCY_KEY_MAX_LENGTH = 200
IDEMPOTENCY_KEY = optional_header(
    "Idempotency-Key", "a retry with the same key gets the first answer", IDEMPOTENCY_KEY_MAX_LENGTH
)


def _idempotency(key: str | None, caller: str, body: bytes) -> Idempotency | None:
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise unprocessable("Idempotency-Key", f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters")
    return Idempotency(f"{caller}:{key}", hashlib.sha256(body).hexdigest())


async def post_lead(request: Request) -> Response:
    """Accept a lead; stored before the answer, published to leads.captured after. Retries with the same
    Idempotency-Key get the first answer; the same person within the dedupe window merges into one lead."""
    # The busiest endpoint reads its own body and headers: FastAPI's dependency and body solving cost
    # about a fifth of its CPU (bench/capture_intake.py). The caller is known before the body is read.
    ctx = capture_context(request)
    headers = request.headers
    caller = await INTAKE(request)  # counted against its rate limit before the body is read
    raw = await request.body()
    body = parse_json_body(LeadIn, raw, headers.get("content-type"))
    form = caller.form
    if form is not None:
        await ctx.captcha.require(token_from({}, headers.get("x-captcha-token")), caller.ip)
    if body.update_existing and form is not None:
        raise unprocessable(
            "update_existing", "only a backend (X-API-Key) may update a known person's details"
        )
    lead = body.to_new_lead(form_id=form.id if form else None, source=form.source if form else None)
    scope = f"form:{form.id}" if form else "backend"
    idempotency = _idempotency(headers.get("idempotency-key"), scope, raw)
    try:
        accepted = await ctx.intake.submit(lead, idempotency, may_update=body.update_existing)
    except IdempotencyKeyReused:
        raise unprocessable("Idempotency-Key", "already used with a different request") from None
    if not accepted.replayed:
        LEADS.labels(lead.source, "new" if accepted.is_new else "merged").inc()
    answer = (
        LeadAccepted(lead_id=accepted.lead_id, is_new=accepted.is_new)
        if form is None
        else Receipt.issue(accepted.lead_id)
    )
    return Response(answer.model_dump_json(), status_code=202, media_type="application/json")


router.add_api_route(
    "/leads",
    post_lead,
    methods=["POST"],
    status_code=202,
    response_model=LeadAccepted | Receipt,
    responses={415: {"description": "the body is not JSON"}, 422: VALIDATION_PROBLEM_RESPONSE},
    openapi_extra=json_body_openapi(LeadIn, IDEMPOTENCY_KEY),
    route_class_override=RequestRoute,
    dependencies=[
        Depends(INTAKE)
    ],  # declared for the documentation and the route inventory; post_lead calls it
)


@router.post("/leads/{lead_id}/activities", status_code=202, response_model=ActivityAccepted)
async def post_activity(
    ctx: Capture, lead_id: LeadId, body: ActivityIn, _: Annotated[Caller, Depends(BACKEND_ONLY)]
) -> ActivityAccepted:
    """Record an engagement event of a known lead (backends only) and publish LeadActivity."""
    at: AwareDatetime = body.at or datetime.now(UTC)
    async with ctx.uow() as uow:
        if not await uow.leads.exists(lead_id):
            raise HTTPException(404, detail=f"unknown lead {lead_id}")
        activity_id = await record_activity(uow, ctx.runtime.topics, lead_id, body.kind, at, body.properties)
        await uow.commit()
    return ActivityAccepted(activity_id=activity_id, lead_id=lead_id)
