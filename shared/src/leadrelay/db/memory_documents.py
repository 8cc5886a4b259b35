"""The versioned-document store and audit trail in memory: the twins of documents.py's (the contract suite in
shared/tests/contract holds both to the same behaviour)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic

from leadrelay.db.documents import AuditEntry, VersionExists, VersionSummary
from leadrelay.db.ports import M


class MemoryAuditLog:
    """Admin changes in memory, newest first when read."""

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    async def record(
        self, actor: str, action: str, subject: str | None, detail: dict[str, Any], now: datetime
    ) -> None:
        """Add an entry."""
        self._entries.append(AuditEntry(len(self._entries) + 1, now, actor, action, subject, dict(detail)))

    async def entries(self, limit: int = 100, action: str | None = None) -> builtins.list[AuditEntry]:
        """Return the latest entries (of one action, when given), newest first."""
        chosen = [e for e in reversed(self._entries) if action is None or e.action == action]
        return chosen[:limit]


@dataclass
class _Stored:
    body: dict[str, Any]
    created_at: datetime
    active: bool = False
    activated_at: datetime | None = None


@dataclass
class DocumentVersions:
    """What one kind of document's table holds; replicas (stores) share it as they share the database."""

    versions: dict[str, _Stored] = field(default_factory=dict)


class MemoryVersionedDocuments(Generic[M]):
    """Stores, activates and reads versions of one kind of document in memory, auditing every change."""

    def __init__(
        self,
        versions: DocumentVersions,
        model: type[M],
        kind: str,
        audit: MemoryAuditLog,
        summarise: Callable[[M], dict[str, Any]] | None = None,
    ) -> None:
        self._versions = versions.versions
        self.model = model
        self._kind = kind
        self._audit = audit
        self._summarise = summarise or (lambda _: {})

    async def add(self, document: M, actor: str, now: datetime, activate: bool = False) -> bool:
        """Store a version (True when new); VersionExists when the version holds a different document."""
        version, body = str(document.version), document.model_dump(mode="json")  # type: ignore[attr-defined]
        stored = self._versions.get(version)
        if stored is not None and stored.body != body:
            raise VersionExists(f"version {version} exists with a different document")
        if stored is None:
            self._versions[version] = _Stored(body, now)
            await self._audit.record(actor, f"{self._kind}_added", version, self._summarise(document), now)
        if activate:
            await self._activate(version, actor, now)
        return stored is None

    async def seed(self, document: M, now: datetime) -> None:
        """Store a file's version; activate it when no version is active (the stored copy wins)."""
        try:
            await self.add(document, "seed file", now, activate=await self.active_version() is None)
        except VersionExists:
            pass

    async def activate(self, version: str, actor: str, now: datetime) -> bool:
        """Make a version active; False when it does not exist."""
        if version not in self._versions:
            return False
        await self._activate(version, actor, now)
        return True

    async def _activate(self, version: str, actor: str, now: datetime) -> None:
        previous = await self.active_version()
        for stored in self._versions.values():
            stored.active = False
        self._versions[version].active, self._versions[version].activated_at = True, now
        await self._audit.record(actor, f"{self._kind}_activated", version, {"previous": previous}, now)

    async def get(self, version: str) -> M | None:
        """Return one version's document."""
        stored = self._versions.get(version)
        return self.model.model_validate(stored.body) if stored is not None else None

    async def active(self) -> M | None:
        """Return the active document."""
        found = await self.active_since()
        return found[0] if found is not None else None

    async def active_since(self) -> tuple[M, datetime] | None:
        """Return the active document and when it was activated."""
        for stored in self._versions.values():
            if stored.active and stored.activated_at is not None:
                return self.model.model_validate(stored.body), stored.activated_at
        return None

    async def active_version(self) -> str | None:
        """Return the active version's name."""
        return next((v for v, stored in self._versions.items() if stored.active), None)

    async def list(self) -> builtins.list[VersionSummary]:
        """Return every version's summary, newest first."""
        summaries = [
            VersionSummary(v, s.created_at, s.active, s.activated_at) for v, s in self._versions.items()
        ]
        return sorted(summaries, key=lambda s: s.created_at, reverse=True)
