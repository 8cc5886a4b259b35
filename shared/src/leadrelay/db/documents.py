"""Versioned documents (scoring's rule sets, routing's configuration, the SLA policies) and the audit of admin
changes: one store for every service. Versions never change, one is active, every change is audited with who
made it, and every replica follows an activation."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadrelay.db.ports import DocumentStore
from leadrelay.service.stopping import sleep_or_stop

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


@dataclass(frozen=True)
class VersionSummary:
    """One stored version: when it was stored, whether it is active and since when."""

    version: str
    created_at: datetime
    active: bool
    activated_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """One admin change: who (a key's id, never the key), what, on which subject, when, with what detail."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]


def _audit_log_columns() -> tuple[Column[Any], ...]:
    return (
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(100), nullable=False),
        Column("action", String(40), nullable=False),
        Column("subject", String(200)),
        Column("detail", JSONB, nullable=False, server_default="{}"),
    )


def audit_log_table(metadata: MetaData) -> Table:
    """Return the table of admin changes (every service keeps one)."""
    return Table("audit_log", metadata, *_audit_log_columns())


def create_audit_log_table() -> None:
    """Create the audit_log table, in a service's Alembic migration."""
    from alembic import op

    op.create_table("audit_log", *_audit_log_columns())


class AuditLog:
    """Records admin changes and reads them back, newest first."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._table = table

    async def record(
        self,
        actor: str,
        action: str,
        subject: str | None,
        detail: dict[str, Any],
        now: datetime,
        conn: AsyncConnection | None = None,
    ) -> None:
        """Add an entry; inside conn's transaction when given, so the change and its entry commit together."""
        statement = insert(self._table).values(
            at=now, actor=actor, action=action, subject=subject, detail=detail
        )
        if conn is not None:
            await conn.execute(statement)
            return
        async with self._engine.begin() as own:
            await own.execute(statement)

    async def entries(self, limit: int = 100, action: str | None = None) -> builtins.list[AuditEntry]:
        """Return the latest entries (of one action, when given), newest first."""
        t = self._table
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(t.c.action == action)
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
            return [AuditEntry(**r) for r in rows.mappings()]


def _version_of(document: BaseModel) -> str:
    return str(document.version)  # type: ignore[attr-defined]  # every versioned document has one


class VersionedDocuments(Generic[M]):
    """Stores, activates and reads versions of one kind of document, auditing every change.

    kind names the document in audit actions (`<kind>_added`, `<kind>_activated`); summarise gives an added
    version's audit detail (counts, not contents); on_activate runs in the activating transaction (the SLA
    monitor puts its announcement in its outbox there)."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        model: type[M],
        kind: str,
        audit: AuditLog,
        summarise: Callable[[M], dict[str, Any]] | None = None,
        on_activate: Callable[[AsyncConnection, M, datetime], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._table = table
        self.model = model
        self._kind = kind
        self._audit = audit
        self._summarise = summarise or (lambda _: {})
        self._on_activate = on_activate

    async def add(self, document: M, actor: str, now: datetime, activate: bool = False) -> bool:
        """Store a version (True when new); VersionExists when the version holds a different document."""
        t = self._table
        version, body = _version_of(document), document.model_dump(mode="json")
        async with self._engine.begin() as conn:
            stored = await conn.execute(
                pg_insert(t)
                .values(version=version, document=body, created_at=now)
                .on_conflict_do_nothing(index_elements=["version"])
                .returning(t.c.version)
            )
            new = stored.first() is not None
            if new:
                detail = self._summarise(document)
                await self._audit.record(actor, f"{self._kind}_added", version, detail, now, conn)
            elif await conn.scalar(select(t.c.document).where(t.c.version == version)) != body:
                raise VersionExists(f"version {version} exists with a different document")
            if activate:
                await self._activate(conn, version, actor, now)
        return new

    async def seed(self, document: M, now: datetime) -> None:
        """Store a file's version; activate it when no version is active (the database's copy wins)."""
        try:
            await self.add(document, "seed file", now, activate=await self.active_version() is None)
        except VersionExists:
            pass

    async def activate(self, version: str, actor: str, now: datetime) -> bool:
        """Make a version active; False when it does not exist."""
        async with self._engine.begin() as conn:
            if (
                await conn.scalar(select(self._table.c.version).where(self._table.c.version == version))
                is None
            ):
                return False
            await self._activate(conn, version, actor, now)
        return True

    async def _activate(self, conn: AsyncConnection, version: str, actor: str, now: datetime) -> None:
        t = self._table
        previous = await conn.scalar(select(t.c.version).where(t.c.active))
        await conn.execute(update(t).where(t.c.active).values(active=False))
        await conn.execute(update(t).where(t.c.version == version).values(active=True, activated_at=now))
        detail = {"previous": previous}
        await self._audit.record(actor, f"{self._kind}_activated", version, detail, now, conn)
        if self._on_activate is not None:
            body = await conn.scalar(select(t.c.document).where(t.c.version == version))
            await self._on_activate(conn, self.model.model_validate(body), now)

    async def get(self, version: str) -> M | None:
        """Return one version's document."""
        async with self._engine.connect() as conn:
            body = await conn.scalar(select(self._table.c.document).where(self._table.c.version == version))
        return self.model.model_validate(body) if body is not None else None

    async def active(self) -> M | None:
        """Return the active document."""
        async with self._engine.connect() as conn:
            body = await conn.scalar(select(self._table.c.document).where(self._table.c.active))
        return self.model.model_validate(body) if body is not None else None

    async def active_since(self) -> tuple[M, datetime] | None:
        """Return the active document and when it was activated."""
        t = self._table
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(t.c.document, t.c.activated_at).where(t.c.active))).first()
        return (self.model.model_validate(row.document), row.activated_at) if row is not None else None

    async def active_version(self) -> str | None:
        """Return the active version's name (cheap: for change detection)."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(self._table.c.version).where(self._table.c.active))

    async def list(self) -> builtins.list[VersionSummary]:
        """Return every version's summary, newest first."""
        t = self._table
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.version, t.c.created_at, t.c.active, t.c.activated_at).order_by(
                    t.c.created_at.desc()
                )
            )
            return [VersionSummary(**r) for r in rows.mappings()]


class ActiveDocument(Generic[M]):
    """Keeps the active version of a document, parsed, current in every replica.

    on_change runs before a newly activated version is put in use (routing prepares its topics there)."""

    def __init__(
        self,
        store: DocumentStore[M],
        current: M,
        on_change: Callable[[M], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._on_change = on_change
        self.current = current
        self._stopping = asyncio.Event()

    async def refresh(self) -> None:
        """Load the active version when it changed."""
        version = await self._store.active_version()
        if version is None or version == _version_of(self.current):
            return
        document = await self._store.active()
        if document is not None:
            if self._on_change is not None:
                await self._on_change(document)
            self.current = document
            log.info("document_activated", kind=type(document).__name__, version=version)

    def stop(self) -> None:
        """End keep_fresh."""
        self._stopping.set()

    async def keep_fresh(self, interval_s: float) -> None:
        """Refresh every interval (another replica may activate a version) until stopped."""
        while not await sleep_or_stop(self._stopping, interval_s):
            try:
                await self.refresh()
            except Exception as exc:  # a database blip: keep the version in use
                kind = type(self.current).__name__
                log.warning("document_refresh_failed", kind=kind, error=type(exc).__name__)
