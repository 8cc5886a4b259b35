"""Subscriptions and deliveries as the API and the dispatcher read and change them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadrelay.db.documents import AuditLog
from leadrelay.delivery.adapters.orm import deliveries, delivery_attempts, subscriptions
from leadrelay.delivery.domain.signing import new_secret, rotated
from leadrelay.delivery.domain.subscriptions import SubscriptionSpec


class NameTaken(ValueError):
    """Another subscription already has this name."""


@dataclass(frozen=True)
class Due:
    """A delivery a dispatcher has leased for one attempt."""

    id: int
    webhook_id: str
    body: str
    attempts: int
    first_attempt_at: datetime | None
    subscription_id: str | None  # none: a person's own email
    channel: str  # webhook | slack | email
    url: str | None  # a webhook's
    recipient: str | None  # an email's address
    secrets: list[dict[str, Any]]


@dataclass(frozen=True)
class Attempted:
    """One attempt made and what follows from it: the delivery's new status and next try, a reason to disable."""

    due: Due
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    verdict: str
    status: str
    next_attempt_at: datetime | None
    disable_reason: str | None


def _public(row: Any) -> dict[str, Any]:
    """A subscription as the API shows it: never its secrets."""
    spec = SubscriptionSpec.model_validate(row.spec)
    return {
        "id": row.id,
        **spec.model_dump(mode="json"),
        "state": row.state,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class DeliveryStore:
    """Reads and changes subscriptions and deliveries, each change audited in its own transaction."""

    def __init__(self, engine: AsyncEngine, audit: AuditLog) -> None:
        self._engine = engine
        self._audit = audit

    async def create(
        self, spec: SubscriptionSpec, actor: str, now: datetime, secret: str | None = None
    ) -> dict[str, Any]:
        """Store a new active subscription with a fresh secret (or the one given); return it with the secret
        (shown only now)."""
        secret = secret or new_secret()
        row = {
            "id": str(uuid.uuid4()),
            "name": spec.name,
            "spec": spec.model_dump(mode="json"),
            "state": "active",
            "secrets": [{"secret": secret, "expires_at": None}],
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(subscriptions).values(row))
                await self._audit.record(
                    actor, "subscription_created", row["id"], {"name": spec.name}, now, conn
                )
        except IntegrityError:
            raise NameTaken(spec.name) from None
        return {**await self.subscription(row["id"]), "secret": secret}  # type: ignore[dict-item]

    async def seed(self, seeded: Sequence[tuple[SubscriptionSpec, str | None]], now: datetime) -> list[str]:
        """Create the file's subscriptions whose name is new (what the API changed since wins); return their
        names."""
        async with self._engine.connect() as conn:
            taken = set((await conn.execute(select(subscriptions.c.name))).scalars())
        created = []
        for spec, secret in seeded:
            if spec.name in taken:
                continue
            try:
                await self.create(spec, "subscriptions-file", now, secret)
            except NameTaken:  # another replica seeded it first
                continue
            created.append(spec.name)
        return created

    async def subscriptions(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(subscriptions).order_by(subscriptions.c.created_at))
            return [_public(r) for r in rows]

    async def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))
            ).first()
            return _public(row) if row else None

    async def rotate_secret(
        self, subscription_id: str, overlap: timedelta, actor: str, now: datetime
    ) -> str | None:
        """Make a new secret the current one; the old ones keep signing until the overlap ends."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(subscriptions.c.secrets)
                    .where(subscriptions.c.id == subscription_id)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return None
            secret = new_secret()
            await conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(secrets=rotated(row.secrets, secret, now, overlap), updated_at=now)
            )
            await self._audit.record(actor, "subscription_secret_rotated", subscription_id, {}, now, conn)
        return secret

    async def set_state(
        self, subscription_id: str, state: str, reason: str | None, actor: str, now: datetime
    ) -> bool:
        """Enable or disable a subscription; False when there is none."""
        async with self._engine.begin() as conn:
            done = await self._set_state(conn, subscription_id, state, reason, now)
            if done:
                await self._audit.record(actor, f"subscription_{state}", subscription_id, {}, now, conn)
            return done

    @staticmethod
    async def _set_state(
        conn: AsyncConnection, subscription_id: str, state: str, reason: str | None, now: datetime
    ) -> bool:
        changed = await conn.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(state=state, disabled_reason=reason, updated_at=now)
        )
        return bool(changed.rowcount)

    async def deliveries(
        self, subscription_id: str | None, status: str | None, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Deliveries newest first, without their bodies (which carry personal data)."""
        d = deliveries
        query = select(*(c for c in d.c if c.name != "body")).order_by(d.c.id.desc()).limit(limit)
        if subscription_id:
            query = query.where(d.c.subscription_id == subscription_id)
        if status:
            query = query.where(d.c.status == status)
        if before_id:
            query = query.where(d.c.id < before_id)
        async with self._engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        """One delivery with its attempts, oldest first."""
        d = deliveries
        async with self._engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(*(c for c in d.c if c.name != "body")).where(d.c.id == delivery_id)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            attempts = await conn.execute(
                select(delivery_attempts)
                .where(delivery_attempts.c.delivery_id == delivery_id)
                .order_by(delivery_attempts.c.id)
            )
            return {**row, "attempts_made": [dict(a) for a in attempts.mappings()]}

    async def replay(self, delivery_id: int, actor: str, now: datetime) -> str:
        """Send a delivery again from now on (same webhook-id); returns 'ok', 'missing' or 'disabled'."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(deliveries.c.id, func.coalesce(subscriptions.c.state, "active").label("state"))
                    .outerjoin(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(deliveries.c.id == delivery_id)
                )
            ).first()
            if row is None:
                return "missing"
            if row.state != "active":
                return "disabled"
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status="pending",
                    next_attempt_at=now,
                    # a replay starts its backoff and its 24 hours afresh (every attempt stays in its history)
                    attempts=0,
                    first_attempt_at=None,
                    lease_until=None,
                    finished_at=None,
                )
            )
            await self._audit.record(actor, "delivery_replayed", str(delivery_id), {}, now, conn)
        return "ok"

    async def lease_due(self, now: datetime, lease: timedelta, limit: int) -> list[Due]:
        """Take up to limit due deliveries of active subscriptions for one attempt each (several dispatchers may
        run: each row goes to one of them until its lease ends)."""
        d, s = deliveries, subscriptions
        due = (
            select(d.c.id)
            .outerjoin(s, s.c.id == d.c.subscription_id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                or_(d.c.subscription_id.is_(None), s.c.state == "active"),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
            .with_for_update(of=d, skip_locked=True)
        )
        async with self._engine.begin() as conn:
            leased = await conn.execute(
                update(d)
                .where(d.c.id.in_(due.scalar_subquery()))
                .values(lease_until=now + lease)
                .returning(
                    d.c.id,
                    d.c.webhook_id,
                    d.c.body,
                    d.c.attempts,
                    d.c.first_attempt_at,
                    d.c.subscription_id,
                    d.c.channel,
                    d.c.recipient,
                )
            )
            rows = leased.all()
            if not rows:
                return []
            wanted = {r.subscription_id for r in rows if r.subscription_id}
            subs = {
                r.id: r
                for r in await conn.execute(select(s.c.id, s.c.spec, s.c.secrets).where(s.c.id.in_(wanted)))
            }
        return [
            Due(
                r.id,
                r.webhook_id,
                r.body,
                r.attempts,
                r.first_attempt_at,
                r.subscription_id,
                r.channel,
                subs[r.subscription_id].spec["target"].get("url") if r.subscription_id else None,
                r.recipient,
                subs[r.subscription_id].secrets if r.subscription_id else [],
            )
            for r in rows
        ]

    async def record_attempts(self, attempts: Sequence[Attempted]) -> None:
        """Store a pass's attempts and what follows from each, in one transaction."""
        if not attempts:
            return
        d = deliveries
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(delivery_attempts).values(
                    [
                        {
                            "delivery_id": a.due.id,
                            "at": a.at,
                            "status_code": a.status_code,
                            "latency_ms": a.latency_ms,
                            "error": a.error,
                            "verdict": a.verdict,
                        }
                        for a in attempts
                    ]
                )
            )
            await conn.execute(
                update(d)
                .where(d.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    attempts=d.c.attempts + 1,
                    first_attempt_at=func.coalesce(d.c.first_attempt_at, bindparam("b_at")),
                    next_attempt_at=bindparam("b_next"),
                    lease_until=None,
                    last_status_code=bindparam("b_code"),
                    last_latency_ms=bindparam("b_latency"),
                    last_error=bindparam("b_error"),
                    finished_at=bindparam("b_finished"),
                ),
                [
                    {
                        "b_id": a.due.id,
                        "b_status": a.status,
                        "b_at": a.at,
                        "b_next": a.next_attempt_at,
                        "b_code": a.status_code,
                        "b_latency": a.latency_ms,
                        "b_error": a.error,
                        "b_finished": a.at if a.status != "pending" else None,
                    }
                    for a in attempts
                ],
            )
            for a in attempts:
                if a.disable_reason and a.due.subscription_id:
                    await self._set_state(conn, a.due.subscription_id, "disabled", a.disable_reason, a.at)
                    detail = {"reason": a.disable_reason}
                    await self._audit.record(
                        "delivery", "subscription_disabled", a.due.subscription_id, detail, a.at, conn
                    )

    async def counts(self) -> dict[str, int]:
        """Deliveries per status, and disabled subscriptions, for the gauges."""
        async with self._engine.connect() as conn:
            counted = await conn.execute(
                select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
            )
            by_status: dict[str, int] = {status: int(n) for status, n in counted.all()}
            disabled = await conn.scalar(
                select(func.count()).select_from(subscriptions).where(subscriptions.c.state == "disabled")
            )
        return {**by_status, "disabled_subscriptions": int(disabled or 0)}
