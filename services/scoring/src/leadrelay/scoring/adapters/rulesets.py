"""Rule set versions in scoring's database; one is active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.scoring.adapters.orm import rulesets
from leadrelay.scoring.domain.rules import RuleSet


class RulesetExists(ValueError):
    """A version is immutable once stored: changes need a new version."""


class RulesetStore:
    """Stored rule set versions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, ruleset: RuleSet, now: datetime, activate: bool = False) -> None:
        """Store a new version; raise RulesetExists when the version is taken by a different document."""
        document = ruleset.model_dump(mode="json")
        async with self._engine.begin() as conn:
            stored = await conn.execute(
                insert(rulesets)
                .values(version=ruleset.version, document=document, created_at=now)
                .on_conflict_do_nothing(index_elements=["version"])
                .returning(rulesets.c.version)
            )
            if stored.first() is None:
                existing = await conn.scalar(
                    select(rulesets.c.document).where(rulesets.c.version == ruleset.version)
                )
                if existing != document:
                    raise RulesetExists(f"version {ruleset.version} exists with different rules")
            if activate:
                await self._activate(conn, ruleset.version, now)

    async def seed(self, ruleset: RuleSet, now: datetime) -> None:
        """Store the configured rule set file's version; activate it when no version is active yet."""
        async with self._engine.connect() as conn:
            has_active = await conn.scalar(select(rulesets.c.version).where(rulesets.c.active))
        try:
            await self.add(ruleset, now, activate=has_active is None)
        except RulesetExists:
            pass  # the database's copy of that version wins: versions never change once stored

    async def activate(self, version: str, now: datetime) -> bool:
        """Make a version the active one; False when it does not exist."""
        async with self._engine.begin() as conn:
            exists = await conn.scalar(select(rulesets.c.version).where(rulesets.c.version == version))
            if exists is None:
                return False
            await self._activate(conn, version, now)
        return True

    @staticmethod
    async def _activate(conn: Any, version: str, now: datetime) -> None:
        await conn.execute(update(rulesets).where(rulesets.c.active).values(active=False))
        await conn.execute(
            update(rulesets).where(rulesets.c.version == version).values(active=True, activated_at=now)
        )

    async def get(self, version: str) -> RuleSet | None:
        """Return one version, or None."""
        async with self._engine.connect() as conn:
            document = await conn.scalar(select(rulesets.c.document).where(rulesets.c.version == version))
        return RuleSet.model_validate(document) if document is not None else None

    async def active(self) -> RuleSet | None:
        """Return the active version, or None."""
        async with self._engine.connect() as conn:
            document = await conn.scalar(select(rulesets.c.document).where(rulesets.c.active))
        return RuleSet.model_validate(document) if document is not None else None

    async def active_version(self) -> str | None:
        """Return the active version's name (cheap: for change detection)."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(rulesets.c.version).where(rulesets.c.active))

    async def list(self) -> list[dict[str, Any]]:
        """Return every version's summary, newest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(
                    rulesets.c.version, rulesets.c.created_at, rulesets.c.active, rulesets.c.activated_at
                ).order_by(rulesets.c.created_at.desc())
            )
            return [dict(r) for r in rows.mappings()]
