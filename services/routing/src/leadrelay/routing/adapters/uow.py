"""Routing's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from leadrelay.db.tombstones import Tombstones
from leadrelay.db.uow import UnitOfWork
from leadrelay.routing.adapters.orm import erased_leads, inbox, outbox
from leadrelay.routing.adapters.repository import (
    AccountRepository,
    DecisionRepository,
    HandoffRepository,
    QueueStateRepository,
    RoutedLeadRepository,
    SlaPolicyRepository,
)


class PostgresRoutingUnitOfWork(UnitOfWork):
    """A transaction over decisions, handoffs, queue state, accounts, leads, SLA policies, outbox and inbox."""

    decisions: DecisionRepository
    handoffs: HandoffRepository
    queue_states: QueueStateRepository
    accounts: AccountRepository
    leads: RoutedLeadRepository
    tombstones: Tombstones
    sla_policies: SlaPolicyRepository

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.tombstones = Tombstones(self.conn, erased_leads)
        self.decisions = DecisionRepository(self.session, self.conn)
        self.handoffs = HandoffRepository(self.session, self.conn)
        self.queue_states = QueueStateRepository(self.session, self.conn)
        self.accounts = AccountRepository(self.session, self.conn)
        self.leads = RoutedLeadRepository(self.session, self.conn)
        self.sla_policies = SlaPolicyRepository(self.conn)
