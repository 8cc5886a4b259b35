"""The admin API for forms (X-Admin-Key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from leadrelay.capture.context import Capture
from leadrelay.capture.domain.forms import Form
from leadrelay.service.access import GuardedRoute, actor_of
from leadrelay.service.admin import require_admin
from leadrelay.service.app import unprocessable

router = APIRouter(
    prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)

FormId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]


@router.get("/forms")
async def list_forms(ctx: Capture) -> list[dict[str, Any]]:
    """List every form with its full configuration."""
    return [f.model_dump() for f in (await ctx.form_store.current()).forms]


@router.get("/forms/{form_id}")
async def get_form(ctx: Capture, form_id: FormId) -> dict[str, Any]:
    """Return one form's configuration."""
    form = (await ctx.form_store.current()).by_id(form_id)
    if form is None:
        raise HTTPException(404, detail=f"unknown form {form_id}")
    return form.model_dump()


@router.put("/forms/{form_id}")
async def put_form(ctx: Capture, form_id: FormId, form: Form, request: Request) -> dict[str, Any]:
    """Create or replace a form; replicas see the change within seconds."""
    if form.id != form_id:
        raise unprocessable("id", f"must equal the form id in the path ({form_id})")
    store = ctx.form_store
    taken = (await store.current()).by_public_key(form.public_key)
    if taken is not None and taken.id != form.id:
        raise unprocessable("public_key", "already used by another form")
    existed = (await store.current()).by_id(form.id) is not None
    await store.put(form)
    detail = {"replaced": existed, "origins": len(form.allowed_origins)}
    await ctx.audit.record(actor_of(request), "form_saved", form.id, detail, datetime.now(UTC))
    return form.model_dump()


@router.delete("/forms/{form_id}", status_code=204)
async def delete_form(ctx: Capture, form_id: FormId, request: Request) -> Response:
    """Delete a form; its public key stops working."""
    if not await ctx.form_store.delete(form_id):
        raise HTTPException(404, detail=f"unknown form {form_id}")
    await ctx.audit.record(actor_of(request), "form_deleted", form_id, {}, datetime.now(UTC))
    return Response(status_code=204)
