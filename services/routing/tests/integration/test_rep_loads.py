"""A rep's load (open handoffs, handoffs assigned since the local day began) comes from counters a trigger keeps;
after any mix of new, accepted, contacted, reassigned and closed handoffs they equal a count of the rows."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from leadrelay.db.engine import session_factory
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork as RoutingUnitOfWork
from leadrelay.routing.bootstrap import MIGRATIONS
from leadrelay.routing.domain.handoff import OPEN_STATES, Handoff

REPS = ["rep-a", "rep-b", "rep-c"]
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# Local midnights of Kolkata (+05:30), Kathmandu (+05:45), New York (-05:00) and UTC, as UTC instants.
DAY_STARTS = [
    datetime(2026, 12, 2, 18, 30, tzinfo=UTC),
    datetime(2026, 12, 2, 18, 15, tzinfo=UTC),
    datetime(2026, 12, 3, 5, 0, tzinfo=UTC),
    datetime(2026, 12, 3, 0, 0, tzinfo=UTC),
]
COUNTED = text(
    """
    SELECT count(*) FILTER (WHERE state IN ('open', 'accepted')), count(*) FILTER (WHERE assigned_at >= :day)
    FROM handoffs WHERE owner_id = :rep
    """
)


@pytest.fixture
async def sessions(open_database):
    return session_factory(await open_database("routing", MIGRATIONS))


def handoff(rep: str, assigned_at: datetime) -> Handoff:
    return Handoff(str(uuid.uuid4()), str(uuid.uuid4()), 1, "smb", rep, assigned_at, str(uuid.uuid4()))


async def test_rep_loads_equal_a_count_of_the_handoffs_after_every_kind_of_change(sessions):
    rng = random.Random(7)
    made: list[Handoff] = []
    for _ in range(6):  # several transactions, each a mix of inserts and state changes
        async with RoutingUnitOfWork(sessions) as uow:
            rows = [
                handoff(rng.choice(REPS), NOW - timedelta(minutes=rng.randrange(0, 36 * 60)))
                for _ in range(40)
            ]
            await uow.handoffs.add_many(rows)
            made.extend(rows)
            for row in rng.sample(
                made, 15
            ):  # any state, even back to open: the counters follow whatever is stored
                state = rng.choice(["accepted", "contacted", "reassigned", "rejected", "open"])
                closed = None if state in OPEN_STATES else NOW
                await uow.handoffs.save(replace(row, state=state, closed_at=closed, reason="test"))
            for row in await uow.handoffs.of_lead(rng.choice(made).lead_id):
                await uow.handoffs.save(row.close(NOW, "won"))
            await uow.commit()
    async with RoutingUnitOfWork(sessions) as uow:
        for day in DAY_STARTS:
            loads = await uow.handoffs.loads(dict.fromkeys(REPS, day))
            for rep in REPS:
                counted = (await uow.session.execute(COUNTED, {"rep": rep, "day": day})).one()
                assert loads[rep] == tuple(counted), (rep, day)
        assert await uow.handoffs.loads({"rep-nobody": DAY_STARTS[0]}) == {"rep-nobody": (0, 0)}
        kept = dict((await uow.session.execute(text("SELECT owner_id, open FROM rep_open_loads"))).all())
        assert kept == {
            rep: (await uow.handoffs.loads({rep: NOW}))[rep][0] for rep in REPS
        }  # read, not counted
    # a rolled-back transaction leaves the counters as they were
    async with RoutingUnitOfWork(sessions) as uow:
        before = await uow.handoffs.loads(dict.fromkeys(REPS, DAY_STARTS[0]))
        await uow.handoffs.add_many([handoff("rep-a", NOW)])
    async with RoutingUnitOfWork(sessions) as uow:
        assert await uow.handoffs.loads(dict.fromkeys(REPS, DAY_STARTS[0])) == before
