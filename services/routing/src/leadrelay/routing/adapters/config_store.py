"""Routing configuration versions in the database, one active, with an audit log of every change."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadrelay.routing.adapters.orm import audit_log, config_versions
from leadrelay.routing.domain.config import RoutingConfig


class VersionExists(ValueError):
    """A version never changes once stored: a change needs a new version."""


class ConfigStore:
    """Stored configuration versions and the audit log."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, config: RoutingConfig, actor: str, now: datetime, activate: bool = False) -> None:
        """Store a new version (and optionally activate it); VersionExists when taken by other content."""
        document = config.model_dump(mode="json")
        async with self._engine.begin() as conn:
            stored = await conn.execute(
                pg_insert(config_versions)
                .values(version=config.version, document=document, created_at=now)
                .on_conflict_do_nothing(index_elements=["version"])
                .returning(config_versions.c.version)
            )
            if stored.first() is None:
                existing = await conn.scalar(
                    select(config_versions.c.document).where(config_versions.c.version == config.version)
                )
                if existing != document:
                    raise VersionExists(f"version {config.version} exists with a different configuration")
            else:
                summary = {"queues": len(config.queues), "reps": len(config.reps), "rules": len(config.rules)}
                await _audit(conn, now, actor, "config_added", config.version, summary)
            if activate:
                await self._activate(conn, config.version, actor, now)

    async def seed(self, config: RoutingConfig, now: datetime) -> None:
        """Store the configuration file's version; activate it when no version is active yet."""
        async with self._engine.connect() as conn:
            has_active = await conn.scalar(select(config_versions.c.version).where(config_versions.c.active))
        try:
            await self.add(config, "seed file", now, activate=has_active is None)
        except VersionExists:
            pass  # the database's copy wins: versions never change once stored

    async def activate(self, version: str, actor: str, now: datetime) -> bool:
        """Make a version active; False when it does not exist."""
        async with self._engine.begin() as conn:
            exists = await conn.scalar(
                select(config_versions.c.version).where(config_versions.c.version == version)
            )
            if exists is None:
                return False
            await self._activate(conn, version, actor, now)
        return True

    @staticmethod
    async def _activate(conn: AsyncConnection, version: str, actor: str, now: datetime) -> None:
        previous = await conn.scalar(select(config_versions.c.version).where(config_versions.c.active))
        await conn.execute(update(config_versions).where(config_versions.c.active).values(active=False))
        await conn.execute(
            update(config_versions)
            .where(config_versions.c.version == version)
            .values(active=True, activated_at=now)
        )
        await _audit(conn, now, actor, "config_activated", version, {"previous": previous})

    async def get(self, version: str) -> RoutingConfig | None:
        """Return one version."""
        async with self._engine.connect() as conn:
            document = await conn.scalar(
                select(config_versions.c.document).where(config_versions.c.version == version)
            )
        return RoutingConfig.model_validate(document) if document is not None else None

    async def active(self) -> RoutingConfig | None:
        """Return the active version."""
        async with self._engine.connect() as conn:
            document = await conn.scalar(select(config_versions.c.document).where(config_versions.c.active))
        return RoutingConfig.model_validate(document) if document is not None else None

    async def active_version(self) -> str | None:
        """Return the active version's name."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(config_versions.c.version).where(config_versions.c.active))

    async def list(self) -> list[dict[str, Any]]:
        """Return every version's summary, newest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(
                    config_versions.c.version,
                    config_versions.c.created_at,
                    config_versions.c.active,
                    config_versions.c.activated_at,
                ).order_by(config_versions.c.created_at.desc())
            )
            return [dict(r) for r in rows.mappings()]

    async def audit(self, limit: int = 100) -> builtins.list[dict[str, Any]]:
        """Return the latest changes, newest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
            return [dict(r) for r in rows.mappings()]

    async def record(
        self, actor: str, action: str, subject: str | None, detail: dict[str, Any], now: datetime
    ) -> None:
        """Add an audit entry for a change made elsewhere (accounts)."""
        async with self._engine.begin() as conn:
            await _audit(conn, now, actor, action, subject, detail)


async def _audit(
    conn: AsyncConnection, now: datetime, actor: str, action: str, subject: str | None, detail: dict[str, Any]
) -> None:
    await conn.execute(
        insert(audit_log).values(at=now, actor=actor, action=action, subject=subject, detail=detail)
    )
