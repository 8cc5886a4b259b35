"""The unit of work: one transaction on one pooled connection, its outbox and inbox."""

from __future__ import annotations

from types import TracebackType
from typing import Self
from weakref import WeakKeyDictionary

import asyncpg
from asyncpg.transaction import Transaction
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from leadrelay.db.driver import CONNECTION_ERRORS
from leadrelay.db.inbox import Inbox
from leadrelay.db.outbox import Outbox


class UnitOfWork:
    """Open with `async with`; nothing is saved unless commit() is called inside the block.

    The transaction is the asyncpg driver's own, and both ways in share it: `conn` for hot-path statements
    (prepared once per connection, rows bound as arrays) and `session` for SQLAlchemy statements. The session's
    connection runs in SQLAlchemy's AUTOCOMMIT mode, so SQLAlchemy never issues BEGIN or COMMIT itself: its
    statements land in the driver's open transaction, and commit() and rollback() are the driver's.
    """

    conn: asyncpg.Connection
    session: AsyncSession
    outbox: Outbox
    inbox: Inbox

    def __init__(self, sessions: async_sessionmaker, outbox_table: Table, inbox_table: Table) -> None:
        self._engine = _autocommit_view(sessions.kw["bind"])
        self._outbox_table = outbox_table
        self._inbox_table = inbox_table
        self._pooled: AsyncConnection | None = None
        self._transaction: Transaction | None = None

    async def __aenter__(self) -> Self:
        self._pooled = await self._engine.connect()
        try:
            raw = await self._pooled.get_raw_connection()
            self.conn = raw.driver_connection  # type: ignore[assignment]
            self._transaction = self.conn.transaction()
            await self._transaction.start()
        except BaseException:
            await self._release(broken=True)
            raise
        self.session = AsyncSession(bind=self._pooled, expire_on_commit=False)
        self.outbox = Outbox(self.conn, self._outbox_table)
        self.inbox = Inbox(self.conn, self._inbox_table)
        self._open_repositories()
        return self

    def _open_repositories(self) -> None:
        """Subclasses attach their repositories to self.conn and self.session here."""

    async def commit(self) -> None:
        """Write queued outbox events and commit the transaction."""
        assert self._transaction is not None, "commit() outside the unit of work, or twice"
        await self.outbox.flush()
        transaction, self._transaction = self._transaction, None
        await transaction.commit()

    async def rollback(self) -> None:
        """Discard everything done in this unit of work."""
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            await transaction.rollback()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        broken = isinstance(exc, CONNECTION_ERRORS)
        try:
            if not broken:
                await self.rollback()
        except CONNECTION_ERRORS:
            broken = True
        finally:
            await self.session.close()
            await self._release(broken)

    async def _release(self, broken: bool) -> None:
        """Return the connection to the pool; one that failed at the connection level never goes back."""
        pooled, self._pooled, self._transaction = self._pooled, None, None
        if pooled is None:
            return
        if broken:
            await pooled.invalidate()
        await pooled.close()


_AUTOCOMMIT_VIEWS: WeakKeyDictionary[AsyncEngine, AsyncEngine] = WeakKeyDictionary()


def _autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    """The engine's view whose connections are checked out in AUTOCOMMIT mode (the pool resets it on return)."""
    if engine not in _AUTOCOMMIT_VIEWS:
        _AUTOCOMMIT_VIEWS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return _AUTOCOMMIT_VIEWS[engine]
