"""The links in a rep's email: a page to confirm "accept", "contacted" or "reject", and the action itself, taken
through routing's and the SLA monitor's APIs. The link's signed token is the credential: it names one handoff
and expires."""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse

from leadrelay import tokens
from leadrelay.delivery.adapters.sales_tools import ActionResult
from leadrelay.delivery.context import Delivery
from leadrelay.service.access import PUBLIC, GuardedRoute
from leadrelay.service.clients import client_ip
from leadrelay.service.pages import html_page
from leadrelay.service.ratelimit import retry_after_header

router = APIRouter(prefix="/v1/actions", tags=["email links"], route_class=GuardedRoute)

ActionName = Annotated[Literal["accept", "contacted", "reject"], Path()]
Token = Annotated[str, Query(min_length=10, max_length=1000)]
NOT_VALID = "This link is not valid or has expired. Open the handoff in your sales tool instead."
CHANNELS = {"phone": "Phone", "email": "Email", "meeting": "Meeting", "chat": "Chat", "other": "Other"}
QUESTIONS = {
    "accept": ("Accept this lead?", "Accept"),
    "contacted": ("Did you contact this lead?", "Yes, I contacted them"),
    "reject": ("Reject this lead?", "Reject"),
}
DONE = {
    "accept": "The lead is yours. Report first contact when you reach them.",
    "contacted": "First contact is recorded: the follow-up clock has stopped.",
    "reject": "The lead is rejected and returns to marketing with your reason.",
}


def _handoff_of(ctx: Delivery, request: Request, token: str) -> str | None:
    """The handoff a token names, or None (the holder is not told why); every try counts against the client."""
    wait_s = ctx.link_limits.hit(client_ip(request, ctx.settings.trusted_proxies), time.time())
    if wait_s is not None:
        raise HTTPException(
            429,
            detail={"error": "rate_limited", "detail": "too many requests; retry later"},
            headers={"Retry-After": retry_after_header(wait_s)},
        )
    secret = ctx.settings.link_secret
    if secret is None or ctx.sales_tools is None:
        return None
    try:
        claims = tokens.verify(token, secret.get_secret_value(), datetime.now(UTC))
    except tokens.InvalidToken:
        return None
    handoff_id = claims.get("h")
    return handoff_id if isinstance(handoff_id, str) else None


@router.get("/{action}", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def confirm_page(ctx: Delivery, action: ActionName, token: Token, request: Request) -> HTMLResponse:
    """Ask the rep to confirm (a GET never acts: mail scanners open every link in an email)."""
    if _handoff_of(ctx, request, token) is None:
        return html_page("Link not valid", f"<p>{NOT_VALID}</p>", 400)
    question, button = QUESTIONS[action]
    fields = ""
    if action == "reject":
        fields = (
            "<p><label for=reason>Why? (marketing reads this)</label><br>"
            "<textarea id=reason name=reason required minlength=1 maxlength=500 rows=3 cols=40></textarea></p>"
        )
    elif action == "contacted":
        options = "".join(f'<option value="{value}">{label}</option>' for value, label in CHANNELS.items())
        fields = f"<p><label for=channel>How?</label> <select id=channel name=channel>{options}</select></p>"
    return html_page(
        question,
        f'<form method="post" action="/v1/actions/{action}">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">{fields}'
        f'<button type="submit">{button}</button></form>',
    )


@router.post("/{action}", response_class=HTMLResponse, dependencies=[Depends(PUBLIC)])
async def act(
    ctx: Delivery,
    action: ActionName,
    token: Annotated[str, Form(min_length=10, max_length=1000)],
    request: Request,
    reason: Annotated[str | None, Form(max_length=500)] = None,
    channel: Annotated[Literal["phone", "email", "meeting", "chat", "other"], Form()] = "other",
) -> HTMLResponse:
    """Take the action for the rep the email went to, as a sales tool would."""
    handoff_id = _handoff_of(ctx, request, token)
    if handoff_id is None or ctx.sales_tools is None:
        return html_page("Link not valid", f"<p>{NOT_VALID}</p>", 400)
    tools = ctx.sales_tools
    if action == "accept":
        result = await tools.accept(handoff_id)
    elif action == "contacted":
        result = await tools.contacted(handoff_id, channel)
    else:
        if not reason or not reason.strip():
            return html_page("A reason is needed", "<p>Go back and say why you reject the lead.</p>", 422)
        result = await tools.reject(handoff_id, reason.strip())
    return _outcome(action, result)


def _outcome(action: str, result: ActionResult) -> HTMLResponse:
    """What the rep sees: done, or why not in their words (the owning service's reason, escaped)."""
    if result.done:
        return html_page("Done", f"<p>{DONE[action]}</p>")
    if result.status_code == 409:
        return html_page(
            "Already settled", f"<p>{html.escape(result.detail or 'The handoff is closed.')}</p>", 409
        )
    if result.status_code == 404:
        return html_page(
            "Not there yet", "<p>This handoff is still on its way. Try again in a few seconds.</p>", 503
        )
    return html_page("Not done", "<p>That did not work just now. Try again in a minute.</p>", 502)
