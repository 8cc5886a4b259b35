"""The unit of work: one session, one transaction, its outbox and inbox."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrelay.db.inbox import Inbox
from leadrelay.db.outbox import Outbox


class UnitOfWork:
    """Open with `async with`; nothing is saved unless commit() is called inside the block."""

    session: AsyncSession
    outbox: Outbox
    inbox: Inbox

    def __init__(self, sessions: async_sessionmaker, outbox_table: Table, inbox_table: Table) -> None:
        self._sessions = sessions
        self._outbox_table = outbox_table
        self._inbox_table = inbox_table

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.outbox = Outbox(self.session, self._outbox_table)
        self.inbox = Inbox(self.session, self._inbox_table)
        self._open_repositories()
        return self

    def _open_repositories(self) -> None:
        """Subclasses attach their repositories to self.session here."""

    async def commit(self) -> None:
        """Write queued outbox events and commit the transaction."""
        await self.outbox.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        """Discard everything done in this unit of work."""
        await self.session.rollback()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
