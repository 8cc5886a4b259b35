"""A hypothesis state machine over schedule, contact, reassign, advance the clock, poll, crash and restart,
against the real database with virtual time: the breached set always equals the set of clocks that were
due and open when polled, nothing fires early, nothing fires twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from leadrelay.db.engine import create_engine, session_factory
from leadrelay.events import Topics, new_event
from leadrelay.events.handoff import DecisionRef, LeadQualified, Owner, SlaTerms
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork as SlaUnitOfWork
from leadrelay.sla_monitor.bootstrap import MIGRATIONS
from leadrelay.sla_monitor.handlers import breach_due_handoffs, report_contact, start_clock
from leadrelay.sla_policies import PolicySet

T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
TOPICS = Topics("sm.")
# Eleven minutes to first contact: a handoff due in at most ten started before the machine's now.
POLICIES = PolicySet(version="eleven", policies=[{"name": "eleven", "deadlines": {"A": 11}}])


def EVERY_QUEUE(queue: str) -> bool:
    return True


class ClockMachine(RuleBasedStateMachine):
    """The model: each clock's lead, attempt, deadline, and whether it was contacted or replaced."""

    database_url: str = ""
    clocks = Bundle("clocks")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.now = T0
        self.model: dict[str, dict[str, Any]] = {}
        self.expected_breached: set[str] = set()
        self._connect()
        self._run(self._reset())

    def _connect(self) -> None:
        self.engine = create_engine(self.database_url)
        self.sessions = session_factory(self.engine)

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _reset(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text("TRUNCATE handoffs, outbox, inbox"))

    def _start(self, lead: str, attempt: int, due_in: int) -> str:
        handoff_id = str(uuid.uuid4())
        due = self.now + timedelta(seconds=due_in)
        data = LeadQualified(
            handoff_id=handoff_id,
            lead_id=lead,
            attempt=attempt,
            queue="q",
            owner=Owner(id="rep", name="Rep"),
            score=80,
            grade="A1",
            stage="sql",
            sla=SlaTerms(policy="none", due_at=due),
            decision=DecisionRef(trace_id="t", strategy="round_robin"),
        )
        self._run(
            start_clock(
                new_event(data, source="test", subject=lead, time=due - timedelta(minutes=11)),
                SlaUnitOfWork(self.sessions),
                TOPICS,
                POLICIES,
            )
        )
        for clock in self.model.values():  # a later attempt replaces the earlier attempts' open clocks
            if clock["lead"] == lead and clock["attempt"] < attempt and clock["state"] == "open":
                clock["state"] = "replaced"
        self.model[handoff_id] = {"lead": lead, "attempt": attempt, "due": due, "state": "open"}
        return handoff_id

    @rule(target=clocks, due_in=st.integers(0, 600))
    def schedule(self, due_in: int) -> str:
        return self._start(str(uuid.uuid4()), 1, due_in)

    @rule(target=clocks, clock=clocks, due_in=st.integers(0, 600))
    def reassign(self, clock: str, due_in: int) -> str:
        lead = self.model[clock]["lead"]
        attempt = max(c["attempt"] for c in self.model.values() if c["lead"] == lead) + 1
        return self._start(lead, attempt, due_in)

    @rule(clock=clocks)
    def contact(self, clock: str) -> None:
        self._run(report_contact(clock, "phone", self.now, SlaUnitOfWork(self.sessions), TOPICS, EVERY_QUEUE))
        if self.model[clock]["state"] == "open":
            self.model[clock]["state"] = "contacted"

    @rule(seconds=st.integers(0, 400))
    def advance_the_clock(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule()
    def poll(self) -> None:
        self._run(breach_due_handoffs(SlaUnitOfWork(self.sessions), TOPICS, 10_000, at=self.now))
        for handoff_id, clock in self.model.items():
            if clock["state"] == "open" and clock["due"] <= self.now:
                clock["state"] = "breached"
                self.expected_breached.add(handoff_id)

    @rule()
    def crash_and_restart(self) -> None:
        self._run(self.engine.dispose())  # every connection and cache gone; only the database remains
        self._connect()

    @invariant()
    def breached_exactly_the_due_open_clocks_once_and_never_early(self) -> None:
        rows = self._run(self._breaches())
        fired = [r["handoff_id"] for r in rows]
        assert len(fired) == len(set(fired)), "a clock breached twice"
        assert set(fired) == self.expected_breached
        for row in rows:
            assert row["breached_at"] >= self.model[row["handoff_id"]]["due"], "a breach fired early"

    async def _breaches(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'handoff_id' AS handoff_id, "
                    "(convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'breached_at')::timestamptz AS breached_at "
                    "FROM outbox WHERE topic = :topic"
                ),
                {"topic": TOPICS.sla_breached},
            )
            return [dict(r) for r in result.mappings()]

    def teardown(self) -> None:
        self._run(self.engine.dispose())
        self.loop.close()


async def test_the_breached_set_is_the_due_and_open_set_through_crashes(create_database, postgres_settings):
    name = await create_database("sla-monitor", MIGRATIONS)
    ClockMachine.database_url = postgres_settings.database_url(name)
    machine_settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
    )
    await asyncio.to_thread(run_state_machine_as_test, ClockMachine, settings=machine_settings)
