"""Capture's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.capture.adapters.erasure import ErasureRepository
from leadrelay.capture.adapters.intake_store import PostgresIntakeStore
from leadrelay.capture.adapters.orm import inbox, outbox
from leadrelay.capture.adapters.repository import LeadRepository
from leadrelay.db.uow import UnitOfWork


class PostgresCaptureUnitOfWork(UnitOfWork):
    """A transaction over intake (activities included), leads, erasure, outbox and inbox (the intake writer batches
    new leads in transactions of its own, on the same intake statements)."""

    intake: PostgresIntakeStore
    leads: LeadRepository
    erasure: ErasureRepository

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.intake = PostgresIntakeStore(self.conn)
        self.leads = LeadRepository(self.session)
        self.erasure = ErasureRepository(self.session)
