"""Routing's storage in memory: the twin of PostgreSQL's for handler tests (tests/contract runs the same suite
on both). One transaction at a time, so its locks are no-ops."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace
from datetime import datetime

from leadrelay.db.memory import MemoryUnitOfWork, MessagingState
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.domain.handoff import Account, DecisionRecord, Handoff, RoutedLead
from leadrelay.routing.domain.strategies import QueueState
from leadrelay.sla_policies import PolicySet


@dataclass
class RoutingStore:
    """Everything routing keeps, by the keys its tables have."""

    decisions: list[DecisionRecord] = field(default_factory=list)
    handoffs: dict[str, Handoff] = field(default_factory=dict)
    queue_states: dict[str, QueueState] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # by name_key
    leads: dict[str, RoutedLead] = field(default_factory=dict)
    sla_policies: tuple[PolicySet, datetime] | None = None
    messaging: MessagingState = field(default_factory=MessagingState)


class MemoryDecisions:
    """Decisions in a list, in the order they were made."""

    def __init__(self, store: RoutingStore) -> None:
        self._store = store

    async def add_many(self, records: builtins.list[DecisionRecord]) -> None:
        """Record decisions."""
        self._store.decisions.extend(records)

    async def anonymise(self, lead_id: str) -> None:
        """Drop the traces of an erased lead's decisions."""
        self._store.decisions = [
            replace(d, trace={"erased": True}) if d.lead_id == lead_id else d for d in self._store.decisions
        ]

    async def for_lead(self, lead_id: str) -> builtins.list[DecisionRecord]:
        """A lead's decisions, oldest first."""
        return sorted((d for d in self._store.decisions if d.lead_id == lead_id), key=lambda d: d.decided_at)

    async def recent_handoffs(self, limit: int) -> builtins.list[DecisionRecord]:
        """The last `limit` first-attempt handoff decisions, oldest first."""
        handed = [d for d in self._store.decisions if d.handed_off and d.attempt == 1]
        return sorted(handed, key=lambda d: d.decided_at)[-limit:]


class MemoryHandoffs:
    """Handoffs by id; loads are counted from them."""

    def __init__(self, store: RoutingStore) -> None:
        self._handoffs = store.handoffs

    async def add_many(self, new: builtins.list[Handoff]) -> None:
        """Record new handoffs; a lead's attempt is handed off once (as the table's unique key says)."""
        taken = {(h.lead_id, h.attempt) for h in self._handoffs.values()}
        for handoff in new:
            if handoff.handoff_id in self._handoffs or (handoff.lead_id, handoff.attempt) in taken:
                raise ValueError(f"handoff {handoff.handoff_id} of attempt {handoff.attempt} exists")
            self._handoffs[handoff.handoff_id] = handoff
            taken.add((handoff.lead_id, handoff.attempt))

    async def latest_of_leads(self, lead_ids: set[str]) -> dict[str, Handoff]:
        """Each lead's latest handoff (its highest attempt), for the leads that have one."""
        latest: dict[str, Handoff] = {}
        for handoff in self._handoffs.values():
            if handoff.lead_id in lead_ids and (
                handoff.lead_id not in latest or handoff.attempt > latest[handoff.lead_id].attempt
            ):
                latest[handoff.lead_id] = handoff
        return latest

    async def get(self, handoff_id: str, lock: bool = False) -> Handoff | None:
        """One handoff."""
        return self._handoffs.get(handoff_id)

    async def of_lead(self, lead_id: str) -> builtins.list[Handoff]:
        """A lead's handoffs, first attempt first."""
        return sorted((h for h in self._handoffs.values() if h.lead_id == lead_id), key=lambda h: h.attempt)

    async def save(self, handoff: Handoff) -> None:
        """Store a handoff's state, when it closed and why."""
        stored = self._handoffs[handoff.handoff_id]
        self._handoffs[handoff.handoff_id] = replace(
            stored, state=handoff.state, closed_at=handoff.closed_at, reason=handoff.reason
        )

    async def loads(self, day_starts: dict[str, datetime]) -> dict[str, tuple[int, int]]:
        """(Open handoffs, handoffs assigned since the rep's day began) per rep."""
        counts = {}
        for rep, start in day_starts.items():
            theirs = [h for h in self._handoffs.values() if h.owner_id == rep]
            counts[rep] = (sum(h.is_open for h in theirs), sum(h.assigned_at >= start for h in theirs))
        return counts


class MemoryQueueStates:
    """Queue states in a dict."""

    def __init__(self, store: RoutingStore) -> None:
        self._states = store.queue_states

    async def lock(self, queue: str) -> QueueState:
        """A queue's state."""
        return (await self.lock_many([queue]))[queue]

    async def lock_many(self, queues: builtins.list[str]) -> dict[str, QueueState]:
        """Several queues' states (a queue seen for the first time starts empty)."""
        return {queue: self._states.setdefault(queue, QueueState()) for queue in sorted(queues)}

    async def save(self, queue: str, state: QueueState) -> None:
        """Store a queue's state."""
        self._states[queue] = state

    async def lock_rep(self, rep_id: str) -> None:
        """Nothing to lock: one transaction at a time."""


class MemoryAccounts:
    """Accounts by name."""

    def __init__(self, store: RoutingStore) -> None:
        self._accounts = store.accounts

    async def upsert(self, known: builtins.list[Account], now: datetime) -> int:
        """Insert or replace accounts by name."""
        for account in known:
            self._accounts[account.name_key] = account
        return len(known)

    async def matching(self, domains: set[str], companies: set[str]) -> builtins.list[Account]:
        """Accounts whose domain or name is among those given (lower-cased, trimmed)."""
        wanted_domains = {d.lower() for d in domains}
        wanted_names = {c.strip().lower() for c in companies}
        return [
            a
            for key, a in sorted(self._accounts.items())
            if key in wanted_names or (a.domain is not None and a.domain in wanted_domains)
        ]

    async def all(self) -> builtins.list[Account]:
        """Every account, by name."""
        return [self._accounts[key] for key in sorted(self._accounts)]

    async def count(self) -> int:
        """How many accounts are known."""
        return len(self._accounts)


class MemoryRoutedLeads:
    """Routed leads by id."""

    def __init__(self, store: RoutingStore) -> None:
        self._store = store

    async def remember_many(self, leads: builtins.list[RoutedLead], now: datetime) -> None:
        """Store leads' latest LeadScored and who they belong to."""
        for lead in leads:
            self._store.leads[lead.lead_id] = lead

    async def owners_of_people(self, keys: set[str]) -> builtins.list[tuple[str, str, str]]:
        """(Person key, lead id, rep owner) of each person's handed-off leads, latest first."""
        found = [
            (handoff.assigned_at, lead.person_key, handoff.lead_id, handoff.owner_id)
            for lead in self._store.leads.values()
            if lead.person_key in keys
            for handoff in self._store.handoffs.values()
            if handoff.lead_id == lead.lead_id and not handoff.pooled
        ]
        found.sort(key=lambda row: row[0], reverse=True)
        return [(str(key), lead_id, owner) for _, key, lead_id, owner in found]

    async def scored(self, lead_id: str) -> LeadScored | None:
        """A lead's latest LeadScored."""
        lead = self._store.leads.get(lead_id)
        return lead.scored if lead else None

    async def apply_consent(self, lead_id: str, marketing: bool) -> None:
        """Keep the person's current marketing consent in the lead."""
        lead = self._store.leads.get(lead_id)
        if lead is not None:
            snapshot = lead.scored.lead.model_copy(update={"marketing_consent": marketing})
            scored = lead.scored.model_copy(update={"lead": snapshot})
            self._store.leads[lead_id] = replace(lead, scored=scored)

    async def forget(self, lead_id: str) -> None:
        """Delete what routing kept of an erased lead."""
        self._store.leads.pop(lead_id, None)


class MemorySlaPolicies:
    """The SLA policies routing last heard of, in a RoutingStore."""

    def __init__(self, store: RoutingStore) -> None:
        self._store = store

    async def current(self) -> PolicySet | None:
        return self._store.sla_policies[0] if self._store.sla_policies else None

    async def adopt(self, policies: PolicySet, activated_at: datetime) -> bool:
        held = self._store.sla_policies
        if held is not None and held[1] >= activated_at:
            return False
        self._store.sla_policies = (policies, activated_at)
        return True


class MemoryRoutingUnitOfWork(MemoryUnitOfWork):
    """A transaction over a RoutingStore."""

    decisions: MemoryDecisions
    handoffs: MemoryHandoffs
    queue_states: MemoryQueueStates
    accounts: MemoryAccounts
    leads: MemoryRoutedLeads
    sla_policies: MemorySlaPolicies

    def __init__(self, store: RoutingStore) -> None:
        super().__init__(store)

    def _open_repositories(self) -> None:
        store: RoutingStore = self.working
        self.decisions = MemoryDecisions(store)
        self.handoffs = MemoryHandoffs(store)
        self.queue_states = MemoryQueueStates(store)
        self.accounts = MemoryAccounts(store)
        self.leads = MemoryRoutedLeads(store)
        self.sla_policies = MemorySlaPolicies(store)
