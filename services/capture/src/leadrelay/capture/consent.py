"""Double opt-in: a backend asks for a signed link, the person confirms it, and marketing consent is given
again, also after an opt-out (the person confirmed it themselves)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from leadrelay.capture.context import Capture
from leadrelay.capture.domain.consent_token import ConsentGrant, InvalidToken, sign, verify
from leadrelay.capture.handlers import record_consent_change
from leadrelay.capture.privacy import PersonSelector
from leadrelay.capture.security import BACKEND_ONLY, Caller
from leadrelay.events.lead import ConsentChanged
from leadrelay.service.access import PUBLIC, GuardedRoute
from leadrelay.service.clients import client_ip
from leadrelay.service.pages import html_page

router = APIRouter(prefix="/v1", tags=["privacy"], route_class=GuardedRoute)
Token = Annotated[str, Query(min_length=10, max_length=4000)]
NOT_VALID = "This link is not valid or has expired. Ask for a new one."


@router.post("/consent-confirmations", status_code=201)
async def post_consent_confirmation(
    ctx: Capture, body: PersonSelector, request: Request, _: Annotated[Caller, Depends(BACKEND_ONLY)]
) -> dict[str, Any]:
    """Issue a double opt-in link for a person (by email or lead id); send it to them, they confirm it."""
    settings = ctx.settings
    if not settings.consent_secret:
        raise HTTPException(
            409,
            detail={
                "error": "not_configured",
                "detail": "set LEADRELAY_CAPTURE_CONSENT_SECRET to issue links",
            },
        )
    async with ctx.uow() as uow:
        lead_ids = await uow.erasure.lead_ids_for(body.email, body.lead_id)
    if not lead_ids:
        raise HTTPException(404, detail={"error": "not_found", "detail": "no lead of that person"})
    expires_at = datetime.now(UTC) + timedelta(hours=settings.consent_link_ttl_hours)
    token = sign(ConsentGrant(tuple(lead_ids), expires_at), settings.consent_secret)
    url = f"{str(request.base_url).rstrip('/')}/v1/consent/confirm?token={token}"
    return {"token": token, "confirm_url": url, "expires_at": expires_at, "lead_ids": lead_ids}


@router.get("/consent/confirm", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def consenthtml_page(ctx: Capture, token: Token, request: Request) -> HTMLResponse:
    """Show the confirmation button (a GET never changes anything: mail scanners open links)."""
    if _grant(ctx, request, token) is None:
        return html_page("Link not valid", f"<p>{NOT_VALID}</p>", 400)
    return html_page(
        "Confirm your subscription",
        '<form method="post" action="/v1/consent/confirm">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        "<p>Do you want to receive our marketing emails? You can opt out at any time.</p>"
        '<button type="submit">Yes, send me emails</button></form>',
    )


@router.post("/consent/confirm", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def confirm_consent(
    ctx: Capture, token: Annotated[str, Form(min_length=10, max_length=4000)], request: Request
) -> HTMLResponse:
    """Record the person's confirmed marketing consent and announce it (ConsentChanged)."""
    grant = _grant(ctx, request, token)
    if grant is None:
        return html_page("Link not valid", f"<p>{NOT_VALID}</p>", 400)
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        confirmed = await uow.erasure.confirm_marketing(list(grant.lead_ids))  # erased ones are gone
        for lead_id, purposes in confirmed.items():
            changed = ConsentChanged(
                lead_id=lead_id, marketing=True, purposes=purposes, channel="double_opt_in", at=now
            )
            await record_consent_change(uow, ctx.runtime.topics, changed, "marketing_opt_in_confirmed")
        await uow.commit()
    return html_page("Thank you", "<p>Your subscription is confirmed. You can opt out at any time.</p>")


def _grant(ctx: Capture, request: Request, token: str) -> ConsentGrant | None:
    """Return the token's grant, or None (the holder is not told why); every try counts against the IP."""
    ctx.rate_limits.check(client_ip(request, ctx.settings.trusted_proxies), None)
    if not ctx.settings.consent_secret:
        return None
    try:
        return verify(token, ctx.settings.consent_secret, datetime.now(UTC))
    except InvalidToken:
        return None
