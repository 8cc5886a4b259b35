"""Versioned configuration documents in a service's database: versions never change, one is active."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from datetime import datetime
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel
from sqlalchemy import Boolean, Column, DateTime, Index, MetaData, String, Table, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger(__name__)
M = TypeVar("M", bound=BaseModel)


class VersionExists(ValueError):
    """A version never changes once stored: a change needs a new version."""


def versioned_documents_table(metadata: MetaData, name: str) -> Table:
    """Return a table of document versions (at most one active)."""
    return Table(
        name,
        metadata,
        Column("version", String(100), primary_key=True),
        Column("document", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("active", Boolean, nullable=False, server_default="false"),
        Column("activated_at", DateTime(timezone=True)),
        Index(f"{name}_one_active", "active", unique=True, postgresql_where=text("active")),
    )


class VersionedDocuments:
    """Stores, activates and reads versions of one kind of document."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._table = table

    async def add(
        self, version: str, document: dict[str, Any], now: datetime, activate: bool = False
    ) -> bool:
        """Store a version (True when new); VersionExists when the version holds a different document."""
        t = self._table
        async with self._engine.begin() as conn:
            stored = await conn.execute(
                pg_insert(t)
                .values(version=version, document=document, created_at=now)
                .on_conflict_do_nothing(index_elements=["version"])
                .returning(t.c.version)
            )
            new = stored.first() is not None
            if not new and await conn.scalar(select(t.c.document).where(t.c.version == version)) != document:
                raise VersionExists(f"version {version} exists with a different document")
            if activate:
                await self._activate(conn, version, now)
        return new

    async def seed(self, version: str, document: dict[str, Any], now: datetime) -> None:
        """Store a file's version; activate it when no version is active (the database's copy wins)."""
        try:
            await self.add(version, document, now, activate=await self.active_version() is None)
        except VersionExists:
            pass

    async def activate(self, version: str, now: datetime) -> bool:
        """Make a version active; False when it does not exist."""
        async with self._engine.begin() as conn:
            if (
                await conn.scalar(select(self._table.c.version).where(self._table.c.version == version))
                is None
            ):
                return False
            await self._activate(conn, version, now)
        return True

    async def _activate(self, conn: AsyncConnection, version: str, now: datetime) -> None:
        t = self._table
        await conn.execute(update(t).where(t.c.active).values(active=False))
        await conn.execute(update(t).where(t.c.version == version).values(active=True, activated_at=now))

    async def get(self, version: str) -> dict[str, Any] | None:
        """Return one version's document."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(self._table.c.document).where(self._table.c.version == version))

    async def active(self) -> dict[str, Any] | None:
        """Return the active document."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(self._table.c.document).where(self._table.c.active))

    async def active_version(self) -> str | None:
        """Return the active version's name."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(self._table.c.version).where(self._table.c.active))

    async def list(self) -> builtins.list[dict[str, Any]]:
        """Return every version's summary, newest first."""
        t = self._table
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.version, t.c.created_at, t.c.active, t.c.activated_at).order_by(
                    t.c.created_at.desc()
                )
            )
            return [dict(r) for r in rows.mappings()]


class ActiveDocument(Generic[M]):
    """Keeps the active version of a document, parsed, current in every replica."""

    def __init__(self, store: VersionedDocuments, model: type[M], current: M) -> None:
        self._store = store
        self._model = model
        self.current = current
        self._version = getattr(current, "version", None)
        self._stopping = asyncio.Event()

    async def refresh(self) -> None:
        """Load the active version when it changed."""
        version = await self._store.active_version()
        if version is None or version == self._version:
            return
        document = await self._store.active()
        if document is not None:
            self.current = self._model.model_validate(document)
            self._version = version
            log.info("document_activated", kind=self._model.__name__, version=version)

    def stop(self) -> None:
        """End keep_fresh."""
        self._stopping.set()

    async def keep_fresh(self, interval_s: float) -> None:
        """Refresh every interval (another replica may activate a version) until stopped."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval_s)
                return
            try:
                await self.refresh()
            except Exception as exc:  # a database blip: keep the version in use
                log.warning("document_refresh_failed", kind=self._model.__name__, error=type(exc).__name__)
