"""Scoring's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.db.tombstones import Tombstones
from leadrelay.db.uow import UnitOfWork
from leadrelay.scoring.adapters.leads import LeadMemory
from leadrelay.scoring.adapters.orm import erased_leads, inbox, outbox
from leadrelay.scoring.adapters.outcomes import OutcomeRepository
from leadrelay.scoring.adapters.repository import ScoreRepository


class PostgresScoringUnitOfWork(UnitOfWork):
    """A transaction over scores, outbox and inbox."""

    scores: ScoreRepository
    leads: LeadMemory
    outcomes: OutcomeRepository

    tombstones: Tombstones

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.tombstones = Tombstones(self.conn, erased_leads)
        self.scores = ScoreRepository(self.session, self.conn)
        self.leads = LeadMemory(self.session, self.conn)
        self.outcomes = OutcomeRepository(self.session)
