"""The SLA monitor's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.db.tombstones import Tombstones
from leadrelay.db.uow import UnitOfWork
from leadrelay.sla_monitor.adapters.orm import erased_leads, inbox, outbox
from leadrelay.sla_monitor.adapters.repository import PostgresClocks


class PostgresSlaUnitOfWork(UnitOfWork):
    """A transaction over handoff clocks, tombstones, outbox and inbox."""

    handoffs: PostgresClocks
    tombstones: Tombstones

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.handoffs = PostgresClocks(self.session, self.conn)
        self.tombstones = Tombstones(self.conn, erased_leads)
