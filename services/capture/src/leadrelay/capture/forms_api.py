"""Plain HTML form posts and chat widget leads."""

from __future__ import annotations

import html
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from leadrelay.capture.captcha import token_from
from leadrelay.capture.context import Capture
from leadrelay.capture.domain.forms import Form, read_form_post
from leadrelay.capture.domain.text import clean_text
from leadrelay.capture.metrics import DROPPED_FIELDS, HONEYPOT, LEADS
from leadrelay.capture.schemas import LeadAccepted, LeadFields, Receipt
from leadrelay.capture.security import INTAKE, Caller, check_origin
from leadrelay.service.access import PUBLIC, GuardedRoute
from leadrelay.service.app import validation_body
from leadrelay.service.clients import client_ip

router = APIRouter(prefix="/v1", tags=["forms"], route_class=GuardedRoute)

FormId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$", examples=["demo"])]
TRUE_VALUES = {"on", "true", "1", "yes"}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _find_form(ctx: Capture, form_id: str) -> Form:
    form = (await ctx.form_store.current()).by_id(form_id)
    if form is None:
        raise HTTPException(404, detail=f"unknown form {form_id}")
    return form


@router.get("/forms/{form_id}", dependencies=[Depends(PUBLIC)])
async def get_form(ctx: Capture, form_id: FormId) -> dict[str, Any]:
    """Return what a page needs to render a form: its fields and consent text (public information)."""
    form = await _find_form(ctx, form_id)
    return {
        "id": form.id,
        "allowed": form.allowed,
        "required": form.required,
        "honeypot": form.honeypot,
        "consent_text": form.consent_text,
        "consent_version": form.consent_version,
    }


@router.post("/forms/{form_id}", status_code=202, response_model=None, dependencies=[Depends(PUBLIC)])
async def post_form(ctx: Capture, form_id: FormId, request: Request) -> Response:
    """Accept a plain HTML form post (urlencoded or multipart): 303 to the thank-you page, or 202 JSON."""
    ip = client_ip(request, ctx.settings.trusted_proxies)
    try:
        form = await _find_form(ctx, form_id)
        check_origin(request, form)
    except HTTPException:
        ctx.rate_limits.check(ip, None)  # probing form ids or origins counts like any post
        raise
    ctx.rate_limits.check(ip, form.id)
    async with request.form(max_files=0, max_fields=60) as submitted:
        raw = {k: v for k, v in submitted.items() if isinstance(v, str)}
    await ctx.captcha.require(token_from(raw, request.headers.get("x-captcha-token")), ip)
    post = read_form_post(form, raw)
    if post.is_bot:
        HONEYPOT.labels(form.id).inc()
        return _accepted(request, form, lead_id=None)
    if post.dropped:
        DROPPED_FIELDS.labels(form.id).inc(len(post.dropped))
    fields = dict(post.fields)
    consent = str(fields.pop("consent_marketing", "")).lower() in TRUE_VALUES
    utm = {k.removeprefix("utm_"): str(fields.pop(k)) for k in list(fields) if k.startswith("utm_")}
    errors = [{"field": f, "reason": "Field required", "type": "missing"} for f in post.missing]
    try:
        lead_fields = LeadFields.model_validate(fields)
    except ValidationError as exc:
        errors += validation_body(exc.errors())["errors"]
    if errors:
        return _invalid(request, form, errors)
    lead = lead_fields.to_domain(
        source=form.source,
        form_id=form.id,
        utm=utm,
        consent_marketing=consent,
        consent_policy_version=form.consent_version if consent else None,
    )
    accepted = await ctx.intake.submit(lead)
    LEADS.labels(lead.source, "new" if accepted.is_new else "merged").inc()
    return _accepted(request, form, lead_id=accepted.lead_id)


def _accepted(request: Request, form: Form, lead_id: str | None) -> Response:
    # A honeypot hit gets the same answer as a person, so bots learn nothing; nobody learns the lead's id.
    if _wants_json(request):
        return JSONResponse(Receipt.issue(lead_id).model_dump(), 202)
    if form.thank_you_url:
        return RedirectResponse(form.thank_you_url, status_code=303)
    return HTMLResponse("<!doctype html><title>Thank you</title><p>Thank you, we will be in touch.</p>", 202)


def _invalid(request: Request, form: Form, errors: list[dict[str, Any]]) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "validation_failed", "errors": errors}, 422)
    items = "".join(
        f"<li><strong>{html.escape(e['field'])}</strong>: {html.escape(e['reason'])}</li>" for e in errors
    )
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Please check the form</title>"
        f"<h1>Please check the form</h1><ul>{items}</ul>"
        "<p>Go back to the form and correct these fields.</p></html>"
    )
    return HTMLResponse(page, status_code=422)


class ChatLine(BaseModel):
    """One line of a chat transcript."""

    model_config = ConfigDict(extra="forbid")

    sender: Literal["visitor", "agent", "bot"] = Field(alias="from")
    text: Annotated[str, StringConstraints(max_length=2000), AfterValidator(clean_text)]


class ChatIn(BaseModel):
    """A chat widget's lead: the visitor's details and the transcript."""

    model_config = ConfigDict(extra="forbid")

    visitor: LeadFields
    transcript: list[ChatLine] = Field(default_factory=list, max_length=100)
    consent_marketing: bool = False


@router.post("/chat", status_code=202, response_model=LeadAccepted | Receipt)
async def post_chat(
    ctx: Capture, body: ChatIn, request: Request, caller: Annotated[Caller, Depends(INTAKE)]
) -> LeadAccepted | Receipt:
    """Accept a chat widget's lead (X-Form-Key or X-API-Key); the visitor's words become the message."""
    form = caller.form
    if form is not None:
        await ctx.captcha.require(token_from({}, request.headers.get("x-captcha-token")), caller.ip)
    said = "\n".join(line.text for line in body.transcript if line.sender == "visitor")
    fields = body.visitor.model_copy(update={"message": (body.visitor.message or said)[:5000] or None})
    lead = fields.to_domain(
        source="chat",
        form_id=form.id if form else None,
        utm={},
        consent_marketing=body.consent_marketing,
        consent_policy_version=form.consent_version if form and body.consent_marketing else None,
    )
    accepted = await ctx.intake.submit(lead)
    LEADS.labels("chat", "new" if accepted.is_new else "merged").inc()
    if form is not None:
        return Receipt.issue(accepted.lead_id)
    return LeadAccepted(lead_id=accepted.lead_id, is_new=accepted.is_new)
