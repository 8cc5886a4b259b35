"""Small HTML pages for people who follow a link from an email (a confirmation, a result)."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
)


def html_page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """A page with a title and a body of trusted HTML (escape what came from elsewhere before passing it)."""
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8>"
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style>'
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}</html>",
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
