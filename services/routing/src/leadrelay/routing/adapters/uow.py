"""Routing's unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.db.tombstones import Tombstones
from leadrelay.db.uow import UnitOfWork
from leadrelay.routing.adapters.orm import erased_leads, inbox, outbox
from leadrelay.routing.adapters.repository import CursorRepository, DecisionRepository


class RoutingUnitOfWork(UnitOfWork):
    """A transaction over decisions, cursors, outbox and inbox."""

    decisions: DecisionRepository
    cursors: CursorRepository

    tombstones: Tombstones

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.tombstones = Tombstones(self.session, erased_leads)
        self.decisions = DecisionRepository(self.session)
        self.cursors = CursorRepository(self.session)
