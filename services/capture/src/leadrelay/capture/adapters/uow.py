"""Capture's unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.capture.adapters.erasure import ErasureRepository
from leadrelay.capture.adapters.orm import inbox, outbox
from leadrelay.capture.adapters.repository import ActivityRepository, LeadRepository
from leadrelay.db.uow import UnitOfWork


class CaptureUnitOfWork(UnitOfWork):
    """A transaction over leads, activities, erasure, outbox and inbox (new leads go through intake.py)."""

    leads: LeadRepository
    activities: ActivityRepository
    erasure: ErasureRepository

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.leads = LeadRepository(self.session)
        self.activities = ActivityRepository(self.session)
        self.erasure = ErasureRepository(self.session)
