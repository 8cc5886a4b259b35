"""One contract for routing's storage, run on PostgreSQL and on its memory twin: the twin that handler tests
use cannot drift from the database the service runs on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.events.lead import Company, Contact
from leadrelay.events.scoring import LeadScored, LeadSnapshot
from leadrelay.routing.adapters.memory import MemoryRoutingUnitOfWork, RoutingStore
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork
from leadrelay.routing.bootstrap import MIGRATIONS
from leadrelay.routing.domain.handoff import Account, DecisionRecord, Handoff, RoutedLead, person_key
from leadrelay.routing.domain.strategies import QueueState
from leadrelay.routing.ports import RoutingUnitOfWork
from leadrelay.sla_policies import PolicySet

T0 = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture(params=["postgres", "memory"])
async def new_uow(request, open_database) -> Callable[[], RoutingUnitOfWork]:
    if request.param == "memory":
        store = RoutingStore()
        return lambda: MemoryRoutingUnitOfWork(store)
    sessions = session_factory(await open_database("routing", MIGRATIONS))
    return lambda: PostgresRoutingUnitOfWork(sessions)


def handoff(
    lead: str, owner: str = "rep-ada", attempt: int = 1, at: datetime = T0, queue: str = "smb"
) -> Handoff:
    return Handoff(str(uuid.uuid4()), lead, attempt, queue, owner, at, str(uuid.uuid4()))


def scored(lead_id: str, email: str | None = None) -> LeadScored:
    return LeadScored(
        lead_id=lead_id, score=80, fit=70, engagement=10, grade="A1", stage="sql", ruleset_version="r1",
        source="referral",
        lead=LeadSnapshot(contact=Contact(email=email or f"{lead_id}@acme.example", company="Acme"),
                          company=Company(size="51-200", country="DE")),
    )  # fmt: skip


async def test_handoffs_are_stored_read_back_and_changed_only_by_their_own_rules(new_uow):
    first, second = handoff("lead-1"), handoff("lead-1", "rep-bo", attempt=2, at=T0 + timedelta(hours=1))
    async with new_uow() as uow:
        await uow.handoffs.add_many([second, first])
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.handoffs.get(first.handoff_id) == first
        assert await uow.handoffs.of_lead("lead-1") == [first, second]
        assert await uow.handoffs.latest_of_leads({"lead-1", "lead-9"}) == {"lead-1": second}
        await uow.handoffs.save(first.reassign(T0 + timedelta(minutes=5), "deadline breached"))
        await uow.handoffs.save(second.accept())
        await uow.commit()
    async with new_uow() as uow:
        reassigned, accepted = await uow.handoffs.of_lead("lead-1")
    assert (reassigned.state, reassigned.closed_at, reassigned.reason) == (
        "reassigned",
        T0 + timedelta(minutes=5),
        "deadline breached",
    )
    assert (accepted.state, accepted.closed_at) == ("accepted", None)


async def test_a_leads_attempt_is_handed_off_once(new_uow):
    async with new_uow() as uow:
        await uow.handoffs.add_many([handoff("lead-1")])
        await uow.commit()
    with pytest.raises(Exception):  # noqa: B017 - each store raises its own kind of conflict
        async with new_uow() as uow:
            await uow.handoffs.add_many([handoff("lead-1", "rep-bo")])
            await uow.commit()
    async with new_uow() as uow:
        assert [h.owner_id for h in await uow.handoffs.of_lead("lead-1")] == ["rep-ada"]


async def test_nothing_is_kept_without_commit(new_uow):
    async with new_uow() as uow:
        await uow.handoffs.add_many([handoff("lead-1")])
        await uow.leads.remember_many([RoutedLead("lead-1", scored("lead-1"), None)], T0)
    async with new_uow() as uow:
        assert await uow.handoffs.of_lead("lead-1") == [] and await uow.leads.scored("lead-1") is None


async def test_loads_count_open_handoffs_and_those_assigned_since_the_reps_day_began(new_uow):
    yesterday, today = T0 - timedelta(days=1), T0 + timedelta(hours=1)
    made = [handoff(f"l{i}", "rep-ada", at=at) for i, at in enumerate([yesterday, today, today, today])]
    async with new_uow() as uow:
        await uow.handoffs.add_many([*made, handoff("l9", "rep-bo", at=today)])
        await uow.handoffs.save(made[1].contact(today))
        await uow.handoffs.save(made[2].accept())
        await uow.commit()
    async with new_uow() as uow:
        loads = await uow.handoffs.loads({"rep-ada": T0, "rep-bo": T0, "rep-new": T0})
    assert loads == {"rep-ada": (3, 3), "rep-bo": (1, 1), "rep-new": (0, 0)}


async def test_queue_states_start_empty_and_keep_what_was_saved(new_uow):
    async with new_uow() as uow:
        assert await uow.queue_states.lock_many(["smb", "enterprise"]) == {
            "smb": QueueState(), "enterprise": QueueState()
        }  # fmt: skip
        await uow.queue_states.lock_rep("rep-ada")
        await uow.queue_states.save("smb", QueueState(cursor=3, credits={"rep-ada": 0.5}))
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.queue_states.lock("smb") == QueueState(cursor=3, credits={"rep-ada": 0.5})


async def test_accounts_are_kept_by_name_and_matched_by_domain_or_company(new_uow):
    async with new_uow() as uow:
        await uow.accounts.upsert(
            [Account("Acme", "rep-ada", "acme.example"), Account("Globex", "rep-bo")], T0
        )
        await uow.accounts.upsert([Account(" ACME ", "rep-cy", "acme.example")], T0)  # the same account
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.accounts.count() == 2
        assert [(a.name_key, a.owner_id) for a in await uow.accounts.all()] == [
            ("acme", "rep-cy"),
            ("globex", "rep-bo"),
        ]
        by_domain = await uow.accounts.matching({"ACME.example"}, set())
        by_name = await uow.accounts.matching(set(), {" globex "})
        assert [a.owner_id for a in by_domain] == ["rep-cy"] and [a.owner_id for a in by_name] == ["rep-bo"]
        assert await uow.accounts.matching(set(), set()) == []


async def test_routed_leads_keep_the_latest_score_consent_and_owners_and_are_forgotten(new_uow):
    ada = person_key("ada@acme.example")
    async with new_uow() as uow:
        await uow.leads.remember_many(
            [RoutedLead("lead-1", scored("lead-1", "ada@acme.example"), ada),
             RoutedLead("lead-2", scored("lead-2", "Ada@Acme.example "), ada)], T0,
        )  # fmt: skip
        await uow.handoffs.add_many(
            [handoff("lead-1", "rep-old", at=T0), handoff("lead-2", "rep-new", at=T0 + timedelta(hours=1)),
             handoff("lead-2", "pool:smb", attempt=2, at=T0 + timedelta(hours=2))]
        )  # fmt: skip
        await uow.leads.apply_consent("lead-1", marketing=False)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.leads.owners_of_people({ada, "nobody"}) == [
            (ada, "lead-2", "rep-new"),
            (ada, "lead-1", "rep-old"),
        ]
        lead = await uow.leads.scored("lead-1")
        assert lead == scored("lead-1", "ada@acme.example").model_copy(
            update={"lead": lead.lead.model_copy(update={"marketing_consent": False})}
        )
        assert lead.lead.marketing_consent is False and lead.lead.company.country == "DE"
        await uow.leads.forget("lead-1")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.leads.scored("lead-1") is None and await uow.leads.scored("lead-2") is not None


async def test_decisions_are_read_per_lead_and_the_latest_handoffs_replayed_and_traces_dropped(new_uow):
    def record(lead: str, minutes: int, handed_off: bool = True, attempt: int = 1) -> DecisionRecord:
        return DecisionRecord(
            str(uuid.uuid4()), lead, attempt, handed_off, "sql", "A1", 80, T0 + timedelta(minutes=minutes),
            {"outcome": "handed_off", "fields": {"country": "DE"}}, handoff_id=str(uuid.uuid4()) if handed_off else None,
            queue="smb", owner_id="rep-ada", rule="smb", strategy="round_robin", due_at=T0,
        )  # fmt: skip

    made = [record("lead-1", 2), record("lead-1", 1, handed_off=False), record("lead-2", 3),
            record("lead-2", 4, attempt=2), record("lead-3", 5)]  # fmt: skip
    async with new_uow() as uow:
        await uow.decisions.add_many(made)
        await uow.decisions.anonymise("lead-2")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.decisions.for_lead("lead-1") == [made[1], made[0]]
        assert [d.lead_id for d in await uow.decisions.recent_handoffs(2)] == ["lead-2", "lead-3"]
        assert {d.trace.get("erased") for d in await uow.decisions.for_lead("lead-2")} == {True}


def policies(version: str, minutes: float) -> PolicySet:
    return PolicySet(version=version, policies=[{"name": "smb", "deadlines": {"A": minutes}}])


async def test_the_newest_activation_of_the_sla_policies_wins_whatever_the_order_heard(new_uow):
    async with new_uow() as uow:
        assert await uow.sla_policies.current() is None
        assert await uow.sla_policies.adopt(policies("p2", 20), T0 + timedelta(hours=1))
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.sla_policies.adopt(policies("p1", 10), T0)  # announced late
        assert not await uow.sla_policies.adopt(policies("p2", 20), T0 + timedelta(hours=1))  # again
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.sla_policies.current() == policies("p2", 20)
        assert await uow.sla_policies.adopt(policies("p1", 10), T0 + timedelta(hours=2))  # rolled back to p1
        await uow.rollback()
    async with new_uow() as uow:
        assert await uow.sla_policies.current() == policies("p2", 20)  # nothing kept without a commit
        assert await uow.sla_policies.adopt(policies("p1", 10), T0 + timedelta(hours=2))
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.sla_policies.current() == policies("p1", 10)
