"""The delivery service's HTTP API (admin): subscriptions, their secrets, and deliveries with their attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from leadrelay.delivery.adapters.store import NameTaken
from leadrelay.delivery.adapters.uow import DeliveryUnitOfWork
from leadrelay.delivery.context import Delivery
from leadrelay.delivery.domain.outcomes import OutcomeBatch
from leadrelay.delivery.domain.subscriptions import SubscriptionSpec
from leadrelay.delivery.domain.targets import TargetRefused
from leadrelay.delivery.handlers import record_outcomes
from leadrelay.service.access import GuardedRoute, Role, access, actor_of
from leadrelay.service.admin import require_admin
from leadrelay.service.app import unprocessable

# Ids as the service makes them: a subscription's is a UUID, a delivery's a positive 64-bit number.
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SubscriptionId = Annotated[str, Path(pattern=UUID)]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]

admin = APIRouter(
    prefix="/v1", tags=["subscriptions"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)


crm = APIRouter(
    prefix="/v1",
    tags=["outcomes"],
    # a CRM's sales-tool key, or a company's own backend (LEADRELAY_DELIVERY_BACKEND_KEYS)
    dependencies=[Depends(access(Role.SALES, Role.BACKEND))],
    route_class=GuardedRoute,
)


@crm.post("/outcomes", status_code=202)
async def report_outcomes(batch: OutcomeBatch, ctx: Delivery) -> dict[str, Any]:
    """Won, lost (with its reason) or disqualified, up to 1,000 at once, for CRMs that cannot produce to Kafka:
    each becomes a LeadOutcome (scoring learns from it, metrics counts it); an id sent before is taken once."""
    uow = DeliveryUnitOfWork(ctx.runtime.sessions)
    repeated = await record_outcomes(batch, uow, ctx.runtime.topics, datetime.now(UTC))
    return {"accepted": len(batch.outcomes) - len(repeated), "repeated": repeated}


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, detail=f"no such {what}")


@admin.post("/subscriptions", status_code=201)
async def create_subscription(spec: SubscriptionSpec, ctx: Delivery, request: Request) -> dict[str, Any]:
    """Subscribe a target to event types; the answer holds the secret that signs its webhooks (shown once)."""
    if spec.target.type == "email":
        if not ctx.settings.email_enabled:
            raise unprocessable(
                "target.type", "email is not configured here (LEADRELAY_DELIVERY_SMTP_HOST): use a webhook"
            )
    else:
        try:
            await ctx.sender.check_target(str(spec.target.url))
        except TargetRefused as exc:
            raise unprocessable("target.url", str(exc)) from None
    try:
        return await ctx.store.create(spec, actor_of(request), datetime.now(UTC))
    except NameTaken:
        raise HTTPException(409, detail=f"a subscription named {spec.name!r} exists") from None


@admin.get("/subscriptions")
async def list_subscriptions(ctx: Delivery) -> list[dict[str, Any]]:
    """Every subscription, oldest first, without secrets."""
    return await ctx.store.subscriptions()


@admin.get("/subscriptions/{subscription_id}")
async def get_subscription(subscription_id: SubscriptionId, ctx: Delivery) -> dict[str, Any]:
    """One subscription, without secrets."""
    found = await ctx.store.subscription(subscription_id)
    if found is None:
        raise _not_found("subscription")
    return found


@admin.post("/subscriptions/{subscription_id}/secret")
async def rotate_secret(subscription_id: SubscriptionId, ctx: Delivery, request: Request) -> dict[str, Any]:
    """A new signing secret; the previous one keeps signing beside it until the overlap ends."""
    now = datetime.now(UTC)
    overlap = timedelta(seconds=ctx.settings.secret_overlap_s)
    secret = await ctx.store.rotate_secret(subscription_id, overlap, actor_of(request), now)
    if secret is None:
        raise _not_found("subscription")
    return {"secret": secret, "previous_valid_until": now + overlap}


@admin.post("/subscriptions/{subscription_id}/{action}")
async def change_state(
    subscription_id: SubscriptionId, action: Literal["enable", "disable"], ctx: Delivery, request: Request
) -> dict[str, Any]:
    """Disable a subscription (its deliveries wait) or enable it again (they go out)."""
    state = "active" if action == "enable" else "disabled"
    reason = None if state == "active" else "disabled by an admin"
    if not await ctx.store.set_state(subscription_id, state, reason, actor_of(request), datetime.now(UTC)):
        raise _not_found("subscription")
    return await get_subscription(subscription_id, ctx)


@admin.get("/deliveries")
async def list_deliveries(
    ctx: Delivery,
    subscription_id: str | None = Query(default=None, pattern=UUID),
    status: Literal["pending", "delivered", "failed"] | None = None,
    before: int | None = Query(
        default=None, ge=1, le=2**63 - 1, description="only deliveries with a smaller id (paging)"
    ),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Deliveries newest first: status, attempts, the last answer's code and latency, the next retry."""
    return await ctx.store.deliveries(subscription_id, status, before, limit)


@admin.get("/deliveries/{delivery_id}")
async def get_delivery(delivery_id: DeliveryId, ctx: Delivery) -> dict[str, Any]:
    """One delivery and every attempt made."""
    found = await ctx.store.delivery(delivery_id)
    if found is None:
        raise _not_found("delivery")
    return found


@admin.post("/deliveries/{delivery_id}/replay", status_code=202)
async def replay_delivery(delivery_id: DeliveryId, ctx: Delivery, request: Request) -> dict[str, Any]:
    """Send a delivery again now, with the same webhook-id (a receiver that has it can drop the repeat)."""
    result = await ctx.store.replay(delivery_id, actor_of(request), datetime.now(UTC))
    if result == "missing":
        raise _not_found("delivery")
    if result == "disabled":
        raise HTTPException(409, detail="the delivery's subscription is disabled: enable it first")
    return {"id": delivery_id, "status": "pending"}
