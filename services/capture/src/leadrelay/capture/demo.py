"""The embeddable widget script and a demo page that uses it."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, Response

from leadrelay.capture.context import Capture
from leadrelay.service.access import PUBLIC

STATIC = Path(__file__).resolve().parent / "static"
widget = APIRouter(tags=["widget"], dependencies=[Depends(PUBLIC)])
# Mounted only when LEADRELAY_CAPTURE_DEMO is on.
pages = APIRouter(tags=["demo"], dependencies=[Depends(PUBLIC)])


@widget.get("/v1/widget.js", response_class=Response)
async def widget_script() -> Response:
    """Serve the dependency-free capture widget (form enhancement, abandonment capture, chat box)."""
    return Response(
        (STATIC / "widget.js").read_text(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@pages.get("/demo", response_class=HTMLResponse)
async def demo(ctx: Capture) -> HTMLResponse:
    """Serve a page with the demo form and the widget."""
    form = (await ctx.form_store.current()).by_id("demo")
    if form is None:
        raise HTTPException(404, detail="no demo form configured")
    page = (STATIC / "demo.html").read_text()
    page = page.replace("{consent_text}", html.escape(form.consent_text or "Email me about products."))
    page = page.replace("{public_key}", html.escape(form.public_key))
    return HTMLResponse(page)


@pages.get("/demo/thanks", response_class=HTMLResponse)
async def thanks() -> HTMLResponse:
    """Serve the demo form's thank-you page (where a plain form post lands)."""
    return HTMLResponse(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Thank you</title>"
        "<h1>Thank you</h1><p>A specialist will contact you shortly.</p></html>"
    )
