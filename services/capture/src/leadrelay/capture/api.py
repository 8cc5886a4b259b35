"""Capture's JSON API for backends and browsers: leads and activities."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from pydantic import AwareDatetime

from leadrelay.capture.adapters.uow import CaptureUnitOfWork
from leadrelay.capture.captcha import token_from
from leadrelay.capture.handlers import Idempotency, IdempotencyKeyReused, record_activity
from leadrelay.capture.metrics import LEADS
from leadrelay.capture.schemas import ActivityAccepted, ActivityIn, LeadAccepted, LeadIn
from leadrelay.capture.security import Caller, client_ip, require_caller
from leadrelay.service.app import unprocessable

router = APIRouter(prefix="/v1", tags=["leads"])

LeadId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="a lead id from LeadAccepted")]


def _idempotency(key: str | None, caller: str, body: bytes) -> Idempotency | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise unprocessable("Idempotency-Key", "1 to 200 characters")
    return Idempotency(f"{caller}:{key}", hashlib.sha256(body).hexdigest())


@router.post("/leads", status_code=202, response_model=LeadAccepted)
async def post_lead(
    body: LeadIn,
    request: Request,
    caller: Annotated[Caller, Depends(require_caller)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> LeadAccepted:
    """Accept a lead; stored before the answer, published to leads.captured after. Retries with the same
    Idempotency-Key get the first answer; the same person within the dedupe window merges into one lead."""
    state = request.app.state
    form = caller.form
    ip = client_ip(request, state.settings.trusted_proxies)
    state.rate_limits.check(ip, form.id if form else None)
    if form is not None:
        await state.captcha.require(token_from({}, request.headers.get("x-captcha-token")), ip)
    lead = body.to_new_lead(form_id=form.id if form else None, source=form.source if form else None)
    scope = f"form:{form.id}" if form else "backend"
    try:
        accepted = await state.intake.submit(lead, _idempotency(idempotency_key, scope, await request.body()))
    except IdempotencyKeyReused:
        raise unprocessable("Idempotency-Key", "already used with a different request") from None
    if not accepted.replayed:
        LEADS.labels(lead.source, "new" if accepted.is_new else "merged").inc()
    return LeadAccepted(lead_id=accepted.lead_id, is_new=accepted.is_new)


@router.post("/leads/{lead_id}/activities", status_code=202, response_model=ActivityAccepted)
async def post_activity(
    lead_id: LeadId, body: ActivityIn, request: Request, caller: Annotated[Caller, Depends(require_caller)]
) -> ActivityAccepted:
    """Record an engagement event of a known lead (backends only) and publish LeadActivity."""
    state = request.app.state
    if caller.kind != "backend":
        raise HTTPException(403, detail={"error": "forbidden", "detail": "activities need an API key"})
    state.rate_limits.check(client_ip(request, state.settings.trusted_proxies), None)
    at: AwareDatetime = body.at or datetime.now(UTC)
    async with CaptureUnitOfWork(state.runtime.sessions) as uow:
        if await uow.leads.get(lead_id) is None:
            raise HTTPException(404, detail=f"unknown lead {lead_id}")
        activity_id = await record_activity(
            uow, state.runtime.topics, lead_id, body.kind, at, body.properties
        )
        await uow.commit()
    return ActivityAccepted(activity_id=activity_id, lead_id=lead_id)
