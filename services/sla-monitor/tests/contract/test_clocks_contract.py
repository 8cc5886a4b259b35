"""One contract for the SLA monitor's storage, run on PostgreSQL and on its memory twin: the twin that handler
tests use cannot drift from the database the service runs on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.db.memory import percentile
from leadrelay.sla_monitor.adapters.memory import MemorySlaUnitOfWork, SlaStore
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork
from leadrelay.sla_monitor.bootstrap import MIGRATIONS
from leadrelay.sla_monitor.domain.clock import NewClock
from leadrelay.sla_monitor.ports import SlaUnitOfWork

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # long past: "overdue" needs no waiting
FAR = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["postgres", "memory"])
async def new_uow(request, open_database) -> Callable[[], SlaUnitOfWork]:
    if request.param == "memory":
        store = SlaStore()
        return lambda: MemorySlaUnitOfWork(store)
    sessions = session_factory(await open_database("sla-monitor", MIGRATIONS))
    return lambda: PostgresSlaUnitOfWork(sessions)


def new(handoff_id: str, due: datetime, *, lead: str = "lead-1", queue: str = "smb", owner: str = "rep-ada",
        attempt: int = 1, warn: datetime | None = None, handed_off: datetime = T0,
        captured: datetime | None = None) -> NewClock:  # fmt: skip
    return NewClock(handoff_id, lead, owner, queue, attempt, "A", "office", due, warn, handed_off, captured)


async def start(new_uow, *clocks: NewClock) -> None:
    async with new_uow() as uow:
        await uow.handoffs.start_many(list(clocks))
        await uow.commit()


async def read(new_uow, handoff_id: str):
    async with new_uow() as uow:
        return await uow.handoffs.get(handoff_id)


async def test_a_started_clock_is_open_with_its_deadline_and_a_redelivery_changes_nothing(new_uow):
    await start(new_uow, new("h1", T0 + timedelta(hours=1), warn=T0 + timedelta(minutes=30)))
    await start(new_uow, new("h1", T0 + timedelta(hours=9)))
    clock = await read(new_uow, "h1")
    assert (clock.state, clock.lead_id, clock.queue, clock.owner_id, clock.attempt) == (
        "open",
        "lead-1",
        "smb",
        "rep-ada",
        1,
    )
    assert clock.due_at == T0 + timedelta(hours=1) and clock.warn_at == T0 + timedelta(minutes=30)
    assert clock.handed_off_at == T0 and clock.contacted_at is None
    assert await read(new_uow, "nope") is None


async def test_nothing_is_kept_without_commit(new_uow):
    async with new_uow() as uow:
        await uow.handoffs.start_many([new("h1", T0)])
    assert await read(new_uow, "h1") is None


async def test_a_contact_before_its_handoff_keeps_its_state_and_gains_the_handoffs_details(new_uow):
    async with new_uow() as uow:
        assert await uow.handoffs.contacted_early("h1", T0, "phone", lead_id="lead-1", owner_id="rep-ada")
        assert not await uow.handoffs.contacted_early("h1", T0, "email", lead_id="lead-1")
        await uow.commit()
    early = await read(new_uow, "h1")
    assert (early.state, early.contact_channel, early.due_at) == ("contacted", "phone", None)
    await start(new_uow, new("h1", T0 + timedelta(hours=1)))
    clock = await read(new_uow, "h1")
    assert (clock.state, clock.contact_channel, clock.contacted_at) == ("contacted", "phone", T0)
    assert clock.due_at == T0 + timedelta(hours=1) and clock.queue == "smb"


async def test_a_rejected_clock_stops_is_never_due_and_counts_as_rejected_not_decided(new_uow):
    await start(
        new_uow, new("open", T0 + timedelta(minutes=1), warn=T0), new("kept", T0 + timedelta(minutes=1))
    )
    async with new_uow() as uow:
        clock = await uow.handoffs.get("open", lock=True)
        await uow.handoffs.save(clock.reject(T0 + timedelta(seconds=30)))
        await uow.commit()
    rejected = await read(new_uow, "open")
    assert (rejected.state, rejected.rejected_at) == ("rejected", T0 + timedelta(seconds=30))
    later = T0 + timedelta(hours=1)
    async with new_uow() as uow:  # neither warned nor breached: only the other clock is due
        assert [d.handoff_id for d in await uow.handoffs.claim_due(10, later)] == ["kept"]
        assert [d.handoff_id for d in await uow.handoffs.claim_warnings(10, later)] == []
        [row] = await uow.handoffs.compliance("owner", T0 - timedelta(days=1))
    assert (row.handoffs, row.decided, row.rejected, row.breached) == (2, 0, 1, 0)
    assert (await read(new_uow, "open")).reject(later) == rejected  # a second rejection changes nothing


async def test_a_rejection_before_its_handoff_keeps_the_clock_from_running(new_uow):
    async with new_uow() as uow:
        assert await uow.handoffs.rejected_early("h1", T0, lead_id="lead-1", owner_id="rep-ada")
        assert not await uow.handoffs.rejected_early("h1", T0, lead_id="lead-1")
        await uow.commit()
    await start(new_uow, new("h1", T0 + timedelta(minutes=1)))
    clock = await read(new_uow, "h1")
    assert (clock.state, clock.rejected_at, clock.queue) == ("rejected", T0, "smb")
    async with new_uow() as uow:
        assert await uow.handoffs.claim_due(10, T0 + timedelta(hours=1)) == []


async def test_a_saved_contact_and_callback_are_read_back(new_uow):
    await start(new_uow, new("h1", T0 + timedelta(hours=1), warn=T0), new("h2", T0 + timedelta(hours=1)))
    async with new_uow() as uow:
        clock = await uow.handoffs.get("h1", lock=True)
        await uow.handoffs.save(clock.contact(T0 + timedelta(minutes=5), "email"))
        other = await uow.handoffs.get("h2", lock=True)
        await uow.handoffs.save(other.callback(T0 + timedelta(days=1), T0 + timedelta(hours=23)))
        await uow.commit()
    contacted, moved = await read(new_uow, "h1"), await read(new_uow, "h2")
    assert (contacted.state, contacted.contacted_at, contacted.contact_channel) == (
        "contacted",
        T0 + timedelta(minutes=5),
        "email",
    )
    assert contacted.rep_time_s == 300
    assert (moved.state, moved.due_at, moved.callback_at, moved.warn_at) == (
        "open",
        T0 + timedelta(days=1),
        T0 + timedelta(hours=23),
        None,
    )


async def test_a_later_attempt_replaces_the_open_clocks_of_earlier_ones_only(new_uow):
    await start(new_uow, new("a1", FAR, attempt=1), new("b1", FAR, lead="lead-2", attempt=1))
    await start(new_uow, new("a2", FAR, attempt=2))
    async with new_uow() as uow:
        await uow.handoffs.replace_earlier("lead-1", 2)
        await uow.commit()
    assert [(await read(new_uow, h)).state for h in ("a1", "a2", "b1")] == ["replaced", "open", "open"]
    assert (await read(new_uow, "a1")).replaced_at is not None


async def test_due_clocks_are_claimed_soonest_first_by_the_given_time_and_breached_once(new_uow):
    await start(
        new_uow,
        new("late", T0 + timedelta(minutes=2)),
        new("later", T0 + timedelta(minutes=3)),
        new("early", T0 + timedelta(minutes=1)),
        new("future", T0 + timedelta(hours=5)),
    )
    at = T0 + timedelta(minutes=10)
    async with new_uow() as uow:
        due = await uow.handoffs.claim_due(2, at)
        assert [d.handoff_id for d in due] == ["early", "late"] and {d.claimed_at for d in due} == {at}
        assert due[0].due_at == T0 + timedelta(minutes=1) and due[0].lead_id == "lead-1"
        await uow.handoffs.mark_breached([d.handoff_id for d in due], at)
        await uow.commit()
    async with new_uow() as uow:
        assert [d.handoff_id for d in await uow.handoffs.claim_due(10, at)] == ["later"]
    breached = await read(new_uow, "early")
    assert (breached.state, breached.breached_at) == ("breached", at)


async def test_warnings_are_claimed_once_for_open_clocks_whose_warning_time_passed(new_uow):
    await start(
        new_uow,
        new("warn", FAR, warn=T0 + timedelta(minutes=1)),
        new("not-yet", FAR, warn=T0 + timedelta(hours=1)),
        new("never", FAR),
    )
    at = T0 + timedelta(minutes=5)
    async with new_uow() as uow:
        due = await uow.handoffs.claim_warnings(10, at)
        assert [d.handoff_id for d in due] == ["warn"]
        await uow.handoffs.mark_warned(["warn"], at)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.handoffs.claim_warnings(10, at) == []
    assert (await read(new_uow, "warn")).warned_at == at


async def test_erasing_a_lead_stops_its_open_clocks_and_unlinks_every_one(new_uow):
    await start(new_uow, new("open", FAR), new("done", FAR), new("other", FAR, lead="lead-2"))
    async with new_uow() as uow:
        done = await uow.handoffs.get("done", lock=True)
        await uow.handoffs.save(done.contact(T0, "phone"))
        await uow.handoffs.erase_lead("lead-1")
        await uow.commit()
    erased, done, other = [await read(new_uow, h) for h in ("open", "done", "other")]
    assert (erased.state, erased.lead_id) == ("erased", None)
    assert (done.state, done.lead_id) == ("contacted", None)
    assert (other.state, other.lead_id) == ("open", "lead-2")


async def test_listing_filters_and_orders_by_deadline(new_uow):
    await start(
        new_uow,
        new("smb-late", T0, queue="smb"),
        new("smb-soon", FAR - timedelta(days=1), queue="smb", owner="rep-bo"),
        new("ent", FAR, queue="enterprise"),
    )
    async with new_uow() as uow:
        handoffs = uow.handoffs
        assert [c.handoff_id for c in await handoffs.list(None, 10)] == ["smb-late", "smb-soon", "ent"]
        assert [c.handoff_id for c in await handoffs.list("open", 1)] == ["smb-late"]
        assert [c.handoff_id for c in await handoffs.list(None, 10, queue="enterprise")] == ["ent"]
        assert [c.handoff_id for c in await handoffs.list(None, 10, owner="rep-bo")] == ["smb-soon"]
        assert [c.handoff_id for c in await handoffs.list(None, 10, overdue=True)] == ["smb-late"]
        assert [c.handoff_id for c in await handoffs.list(None, 10, overdue=False)] == ["smb-soon", "ent"]
        within = frozenset({"enterprise"})
        assert [c.handoff_id for c in await handoffs.list(None, 10, within=within)] == ["ent"]
        assert await handoffs.list("breached", 10) == []


async def test_compliance_counts_decided_on_time_and_breached_with_percentiles_per_group(new_uow):
    captured = T0 - timedelta(seconds=30)
    await start(
        new_uow,
        *(new(f"ada-{i}", T0 + timedelta(minutes=10), captured=captured) for i in range(3)),
        new("bo-1", T0 + timedelta(minutes=10), owner="rep-bo", captured=captured - timedelta(seconds=30)),
        new("old", T0 + timedelta(minutes=10), handed_off=T0 - timedelta(days=30)),
    )
    async with new_uow() as uow:
        for i, minutes in enumerate((2, 4, 20)):  # two on time, one late
            clock = await uow.handoffs.get(f"ada-{i}", lock=True)
            await uow.handoffs.save(clock.contact(T0 + timedelta(minutes=minutes), "phone"))
        await uow.handoffs.mark_breached(["bo-1"], T0 + timedelta(minutes=11))
        await uow.commit()
    async with new_uow() as uow:
        by_owner = await uow.handoffs.compliance("owner", T0 - timedelta(days=1))
    ada, bo = by_owner
    assert (ada.group, ada.handoffs, ada.decided, ada.on_time, ada.breached) == ("rep-ada", 3, 3, 2, 0)
    assert (
        ada.compliance == 0.6667
        and ada.rep_time_p50_s == 240.0
        and ada.rep_time_p95_s == pytest.approx(1104.0)
    )
    assert ada.routing_time_p50_s == 30.0
    assert (bo.group, bo.decided, bo.on_time, bo.breached, bo.compliance) == ("rep-bo", 1, 0, 1, 0.0)
    assert bo.rep_time_p50_s is None and bo.routing_time_p95_s == 60.0


def test_percentiles_interpolate_as_postgresql_does():
    assert percentile([], 0.5) is None and percentile([None], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([120.0, 240.0, 1200.0], 0.95) == pytest.approx(1104.0)
