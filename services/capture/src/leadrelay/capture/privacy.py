"""Right to erasure and marketing opt-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadrelay.capture.context import Capture
from leadrelay.capture.domain.normalise import InvalidValue, normalise_email
from leadrelay.capture.handlers import SOURCE, record_consent_change
from leadrelay.capture.ports import CaptureUnitOfWork
from leadrelay.capture.security import BACKEND_ONLY, Caller
from leadrelay.events import Topics, new_event
from leadrelay.events.lead import ConsentChanged, LeadErased
from leadrelay.service.access import GuardedRoute

router = APIRouter(prefix="/v1", tags=["privacy"], route_class=GuardedRoute)


class PersonSelector(BaseModel):
    """Whose data: an email address or one lead id (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    lead_id: str | None = Field(default=None, pattern=r"^[0-9a-f-]{36}$")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        try:
            return normalise_email(value) if value else None
        except InvalidValue as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _exactly_one(self) -> PersonSelector:
        if (self.email is None) == (self.lead_id is None):
            raise ValueError("give exactly one of email or lead_id")
        return self


async def erase_person(
    selector: PersonSelector, uow: CaptureUnitOfWork, topics: Topics, now: datetime
) -> list[str]:
    """Erase the person's leads here and announce LeadErased so every service erases its copy."""
    async with uow:
        lead_ids = await uow.erasure.lead_ids_for(selector.email, selector.lead_id)
        for lead_id in lead_ids:
            await uow.erasure.erase(lead_id, now)
            uow.outbox.add(
                new_event(LeadErased(lead_id=lead_id), source=SOURCE, subject=lead_id), topics.erased
            )
        await uow.commit()
    return lead_ids


@router.post("/erasure-requests", status_code=202)
async def post_erasure_request(
    ctx: Capture, body: PersonSelector, _: Annotated[Caller, Depends(BACKEND_ONLY)]
) -> dict[str, list[str]]:
    """Erase a person's data (by email or lead id) here and, through LeadErased, in every service."""
    erased = await erase_person(body, ctx.uow(), ctx.runtime.topics, datetime.now(UTC))
    return {"erased_lead_ids": erased}


@router.post("/opt-outs", status_code=202)
async def post_opt_out(
    ctx: Capture, body: PersonSelector, _: Annotated[Caller, Depends(BACKEND_ONLY)]
) -> dict[str, list[str]]:
    """Withdraw marketing consent for a person's leads; they stay reachable for what they asked for."""
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        if body.email is not None:
            opted = await uow.erasure.opt_out(body.email, now)
        else:
            email = await uow.leads.email_of(body.lead_id or "")
            opted = await uow.erasure.opt_out(email, now) if email else {}
        for lead_id, purposes in opted.items():
            changed = ConsentChanged(
                lead_id=lead_id, marketing=False, purposes=purposes, channel="opt_out", at=now
            )
            await record_consent_change(uow, ctx.runtime.topics, changed, "marketing_opt_out")
        await uow.commit()
    return {"opted_out_lead_ids": list(opted)}
