"""The one versioned-document store every service keeps its configuration in, run on PostgreSQL and on its
memory twin: versions never change, one is active, every change is audited with who made it, and every replica
follows an activation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.db.documents import (
    ActiveDocument,
    AuditLog,
    VersionedDocuments,
    VersionExists,
    audit_log_table,
    versioned_documents_table,
)
from leadrelay.db.engine import create_engine
from leadrelay.db.memory_documents import DocumentVersions, MemoryAuditLog, MemoryVersionedDocuments
from leadrelay.db.ports import AuditTrail, DocumentStore
from leadrelay.db.provision import drop_database, ensure_database

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


class Plan(BaseModel):
    version: str
    steps: list[str]


async def postgres_stores(infra, postgres_settings, unique) -> AsyncIterator[Callable[[], Stores]]:
    name = f"lrt_docs_{unique}"
    await ensure_database(infra.postgres_dsn, name)
    engine = create_engine(postgres_settings.database_url(name))
    metadata = MetaData()
    versioned_documents_table(metadata, "plans")
    audit_log_table(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield lambda: store_on(engine)
    await engine.dispose()
    await drop_database(infra.postgres_dsn, name)


Stores = tuple[DocumentStore[Plan], AuditTrail]


def store_on(engine: AsyncEngine) -> Stores:
    metadata = MetaData()
    audit = AuditLog(engine, audit_log_table(metadata))
    plans = versioned_documents_table(metadata, "plans")
    return VersionedDocuments(engine, plans, Plan, "plan", audit, lambda p: {"steps": len(p.steps)}), audit


@pytest.fixture(params=["postgres", "memory"])
async def new_stores(request, infra, postgres_settings, unique) -> AsyncIterator[Callable[[], Stores]]:
    """A factory of (store, audit) over one database: each call is another replica's."""
    if request.param == "memory":
        versions, audit = DocumentVersions(), MemoryAuditLog()

        def memory() -> Stores:
            store = MemoryVersionedDocuments(versions, Plan, "plan", audit, lambda p: {"steps": len(p.steps)})
            return store, audit

        yield memory
        return
    async for stores in postgres_stores(infra, postgres_settings, unique):
        yield stores


async def test_a_version_never_changes_and_only_one_is_active(new_stores):
    store, _ = new_stores()
    first, second = Plan(version="v1", steps=["a"]), Plan(version="v2", steps=["a", "b"])
    assert await store.add(first, "admin key k1", T0, activate=True) is True
    assert await store.add(first, "admin key k1", T0) is False  # the same document again: nothing to do
    with pytest.raises(VersionExists):
        await store.add(Plan(version="v1", steps=["changed"]), "admin key k1", T0)
    await store.add(second, "admin key k2", T0 + timedelta(minutes=1))
    assert await store.activate("v2", "admin key k2", T0 + timedelta(minutes=2)) is True
    assert await store.activate("v9", "admin key k2", T0) is False
    assert await store.active() == second and await store.get("v1") == first
    listed = await store.list()
    assert [(v.version, v.active) for v in listed] == [("v2", True), ("v1", False)]
    assert listed[0].activated_at == T0 + timedelta(minutes=2)
    assert await store.active_since() == (second, T0 + timedelta(minutes=2))


async def test_seeding_activates_a_file_only_when_nothing_is_active_and_the_database_copy_wins(new_stores):
    store, _ = new_stores()
    await store.seed(Plan(version="v1", steps=["a"]), T0)
    assert await store.active_version() == "v1"
    await store.seed(Plan(version="v2", steps=["b"]), T0)  # a new file: stored, not activated
    await store.seed(Plan(version="v1", steps=["edited in the file"]), T0)  # versions never change
    assert await store.active() == Plan(version="v1", steps=["a"])
    assert {v.version for v in await store.list()} == {"v1", "v2"}


async def test_every_change_is_audited_with_who_made_it_and_what_it_replaced(new_stores):
    store, audit = new_stores()
    await store.add(Plan(version="v1", steps=["a", "b"]), "admin key k1", T0, activate=True)
    await store.add(Plan(version="v2", steps=["c"]), "admin key k2", T0 + timedelta(minutes=1))
    await store.activate("v2", "admin key k2", T0 + timedelta(minutes=2))
    await audit.record("admin key k3", "accounts_imported", None, {"accounts": 3}, T0 + timedelta(minutes=3))
    entries = await audit.entries()
    assert [(e.actor, e.action, e.subject, e.detail) for e in entries] == [
        ("admin key k3", "accounts_imported", None, {"accounts": 3}),
        ("admin key k2", "plan_activated", "v2", {"previous": "v1"}),
        ("admin key k2", "plan_added", "v2", {"steps": 1}),
        ("admin key k1", "plan_activated", "v1", {"previous": None}),
        ("admin key k1", "plan_added", "v1", {"steps": 2}),
    ]
    assert [e.subject for e in await audit.entries(action="plan_activated")] == ["v2", "v1"]
    assert len(await audit.entries(limit=2)) == 2


async def test_a_refused_version_leaves_no_audit_entry(new_stores):
    store, audit = new_stores()
    await store.add(Plan(version="v1", steps=["a"]), "admin key k1", T0)
    with pytest.raises(VersionExists):
        await store.add(Plan(version="v1", steps=["b"]), "admin key k2", T0)
    assert [e.actor for e in await audit.entries()] == ["admin key k1"]


async def test_another_replica_follows_an_activation_and_prepares_for_it_first(new_stores):
    store, _ = new_stores()
    await store.add(Plan(version="v1", steps=["a"]), "seed file", T0, activate=True)
    prepared: list[str] = []

    async def prepare(plan: Plan) -> None:
        prepared.append(plan.version)

    other_store, _ = new_stores()
    replica = ActiveDocument(other_store, Plan(version="v1", steps=["a"]), on_change=prepare)
    await replica.refresh()
    assert prepared == [] and replica.current.version == "v1"  # unchanged: nothing to do
    await store.add(Plan(version="v2", steps=["b"]), "admin key k1", T0, activate=True)
    await replica.refresh()
    assert prepared == ["v2"] and replica.current == Plan(version="v2", steps=["b"])
