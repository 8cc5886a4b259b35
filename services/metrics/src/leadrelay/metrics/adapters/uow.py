"""The metrics service's unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.db.uow import UnitOfWork
from leadrelay.metrics.adapters.orm import inbox, outbox
from leadrelay.metrics.adapters.repository import (
    BreakdownRepository,
    FeedRepository,
    FunnelRepository,
    LeadSourceRepository,
    ReasonRepository,
    SpendRepository,
    TimelineRepository,
)


class PostgresMetricsUnitOfWork(UnitOfWork):
    """A transaction over funnel counts, lead journeys, spend, reasons, lead sources and the inbox."""

    funnel: FunnelRepository
    sources: LeadSourceRepository
    timeline: TimelineRepository
    spend: SpendRepository
    reasons: ReasonRepository
    feed: FeedRepository
    breakdown: BreakdownRepository

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.funnel = FunnelRepository(self.session, self.conn)
        self.sources = LeadSourceRepository(self.session, self.conn)
        self.timeline = TimelineRepository(self.session, self.conn)
        self.spend = SpendRepository(self.session)
        self.reasons = ReasonRepository(self.session, self.conn)
        self.feed = FeedRepository(self.session, self.conn)
        self.breakdown = BreakdownRepository(self.session)
