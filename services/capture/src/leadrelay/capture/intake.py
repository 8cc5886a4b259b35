"""Group commit: one writer task stores the leads of many concurrent requests in one transaction.

Each request still gets its answer only after the transaction holding its lead has committed, so a 202
keeps meaning "stored". Statements are multi-row, so the cost of a transaction (round trips, commit,
fsync) is shared by every lead in the batch. If a batch fails as a whole, its requests are retried one
by one in their own transactions, so one bad row cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.capture.adapters.intake_store import PostgresIntakeStore
from leadrelay.capture.domain.lead import CapturedLead, NewLead, capture, identity_of
from leadrelay.capture.domain.merge import merge_submission
from leadrelay.capture.handlers import (
    SOURCE,
    Accepted,
    Idempotency,
    IdempotencyKeyReused,
    activity_event,
    lead_captured,
)
from leadrelay.capture.metrics import GROUP_COMMIT_LEADS, INTAKE_REFUSED
from leadrelay.capture.ports import IntakeStore, LeadAnswer
from leadrelay.db.driver import driver_transaction
from leadrelay.db.outbox import insert_outbox, outbox_row
from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.lead import ConsentChanged

log = structlog.get_logger(__name__)


@dataclass
class _Pending:
    lead: NewLead
    idempotency: Idempotency | None
    future: asyncio.Future[Accepted]
    result: Accepted | BaseException | None = None
    may_update: bool = False  # an authenticated backend asked to update the person's stored fields
    due: float = 0.0  # loop time by which it is answered, stored or not


@dataclass
class _Batch:
    now: datetime
    outbox_rows: list[dict[str, Any]] = field(default_factory=list)

    def queue(self, event: Envelope, topic: str) -> None:
        self.outbox_rows.append(outbox_row(event, topic))


class IntakeWriter:
    """Accepts leads from request handlers and commits them in batches from one task."""

    def __init__(
        self,
        engine: AsyncEngine,
        topics: Topics,
        dedupe_window: timedelta,
        max_batch: int = 500,
        max_queued: int = 5000,
        deadline_s: float = 5.0,
    ) -> None:
        self._engine = engine
        self._topics = topics
        self._window = dedupe_window
        self._max_batch = max_batch
        self._deadline_s = deadline_s
        # Bounded: when the database stops answering, requests are refused at once instead of piling up.
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=max_queued)
        # Every queued lead in order of its deadline (all share one), swept by one task: cheaper than a timer each.
        self._waiting: deque[_Pending] = deque()
        self._stopping = asyncio.Event()
        self.running = False

    async def submit(
        self, lead: NewLead, idempotency: Idempotency | None = None, may_update: bool = False
    ) -> Accepted:
        """Queue a lead and wait until it is committed; raise what storing it raised.

        may_update: an authenticated backend's values replace a known person's stored ones; anyone else's only
        fill gaps, and differing values are kept as proposed changes."""
        if not self.running:  # no writer task (tools, or before start): store it on its own
            return await self.store(lead, idempotency, may_update)
        loop = asyncio.get_running_loop()
        item = _Pending(lead, idempotency, loop.create_future(), may_update=may_update)
        item.due = loop.time() + self._deadline_s
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            INTAKE_REFUSED.labels("queue_full").inc()
            raise IntakeBusy("the intake queue is full") from None
        self._waiting.append(item)
        # A lead not yet stored by its deadline is answered 503 by _expire_overdue; if it was not in a transaction
        # yet it is never written, and one already being written may still commit (a retry merges or replays).
        return await item.future

    async def store(
        self, lead: NewLead, idempotency: Idempotency | None = None, may_update: bool = False
    ) -> Accepted:
        """Store one lead in its own transaction, now; raise what storing it raised."""
        item = _Pending(lead, idempotency, asyncio.get_running_loop().create_future(), may_update=may_update)
        await self._store_alone(item)
        if isinstance(item.result, BaseException):
            raise item.result
        if item.result is None:
            raise RuntimeError("the lead was not stored")
        return item.result

    async def _store_alone(self, item: _Pending) -> None:
        try:
            await self._transaction([item])
        except Exception as exc:
            item.result = _unavailable(exc) if _is_database_error(exc) else exc

    async def _transaction(self, batch: list[_Pending]) -> None:
        """Write batch in one transaction."""
        async with driver_transaction(self._engine) as conn:
            await self._write(conn, batch, _Batch(datetime.now(UTC)))

    def stop(self) -> None:
        """Finish the queued leads, then exit."""
        self._stopping.set()

    async def run(self) -> None:
        """Commit batches until stopped and the queue is empty."""
        self.running = True
        sweeper = asyncio.create_task(self._expire_overdue())
        try:
            while not (self._stopping.is_set() and self._queue.empty()):
                try:
                    first = await asyncio.wait_for(self._queue.get(), 0.5)
                except TimeoutError:
                    continue
                batch = [first]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                batch = [item for item in batch if not item.future.done()]  # answered 503 meanwhile
                if batch:
                    await self._commit(batch)
        finally:
            self.running = False
            sweeper.cancel()

    async def _expire_overdue(self) -> None:
        """Answer 503 for every lead still unanswered at its deadline (the database did not answer in time)."""
        loop = asyncio.get_running_loop()
        tick = min(0.1, self._deadline_s / 5)
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            while self._waiting and self._waiting[0].due <= now:
                item = self._waiting.popleft()
                if not item.future.done():
                    INTAKE_REFUSED.labels("deadline").inc()
                    item.future.set_exception(
                        IntakeBusy(f"the database did not answer within {self._deadline_s:g} s")
                    )

    async def _commit(self, batch: list[_Pending]) -> None:
        GROUP_COMMIT_LEADS.observe(len(batch))
        try:
            await self._transaction(batch)
        except Exception as exc:
            log.warning("group_commit_failed_retrying_one_by_one", size=len(batch), error=type(exc).__name__)
            for item in batch:
                item.result = None
                await self._store_alone(item)
        for item in batch:
            if item.future.done():
                continue
            if item.result is None:  # cannot happen by construction; never answer 202 for it
                item.future.set_exception(RuntimeError("the lead was not stored"))
            elif isinstance(item.result, BaseException):
                item.future.set_exception(item.result)
            else:
                item.future.set_result(item.result)

    async def _write(self, conn: asyncpg.Connection, batch: list[_Pending], b: _Batch) -> None:
        store = PostgresIntakeStore(conn)
        todo, followers = await self._claim_keys(store, batch)
        candidates = {identity_of(i.lead): str(uuid.uuid4()) for i in todo}
        survivors = await store.resolve_identities(candidates, b.now, self._window) if candidates else {}
        planned, new_leads, seen = [], [], set()
        for item in todo:
            identity = identity_of(item.lead)
            lead_id = survivors[identity]
            is_new = lead_id == candidates[identity] and identity not in seen
            captured = capture(item.lead, lead_id, b.now, is_new=is_new)
            seen.add(identity)
            planned.append((item, captured))
            if captured.is_new:
                new_leads.append(captured)
        if new_leads:  # before any merge, which updates these rows
            await store.insert_leads(new_leads)
        answers: dict[str, LeadAnswer] = {}
        for item, submitted in planned:
            captured = (
                submitted if submitted.is_new else await self._merge(store, submitted, item.may_update, b)
            )
            event = new_event(lead_captured(captured), source=SOURCE, subject=captured.lead_id)
            b.queue(event, self._topics.captured)
            item.result = Accepted(captured.lead_id, captured.is_new)
            if item.idempotency is not None:
                answers[item.idempotency.key] = {"lead_id": captured.lead_id, "is_new": captured.is_new}
        if answers:  # the stored answers of every keyed request, in one statement
            await store.store_answers(answers)
        if b.outbox_rows:
            await insert_outbox(conn, b.outbox_rows)
        for follower, leader in followers:
            first = leader.result
            follower.result = (
                Accepted(first.lead_id, first.is_new, 202, True) if isinstance(first, Accepted) else first
            )

    async def _claim_keys(
        self, store: IntakeStore, batch: list[_Pending]
    ) -> tuple[list[_Pending], list[tuple[_Pending, _Pending]]]:
        """Claim idempotency keys and answer replays and reuses now.

        Returns the items to store, and (retry, first) pairs of one key used twice inside this batch.
        """
        leaders: dict[str, _Pending] = {}
        for item in batch:
            if item.idempotency is not None:
                leaders.setdefault(item.idempotency.key, item)
        if not leaders:
            return batch, []
        claimed = await store.claim_keys({key: _hash(item) for key, item in leaders.items()})
        unclaimed = [key for key in leaders if key not in claimed]
        earlier = await store.earlier_answers(unclaimed) if unclaimed else {}
        todo: list[_Pending] = []
        followers: list[tuple[_Pending, _Pending]] = []
        for item in batch:
            if item.idempotency is None:
                todo.append(item)
                continue
            key = item.idempotency.key
            leader = leaders[key]
            first_hash = earlier[key].request_hash if key in earlier else _hash(leader)
            if _hash(item) != first_hash:
                item.result = IdempotencyKeyReused(key)
            elif key in earlier:
                stored = earlier[key]
                response = stored.response
                item.result = (
                    Accepted(response["lead_id"], response["is_new"], stored.status_code or 202, True)
                    if response is not None
                    else RuntimeError("the first request with this Idempotency-Key is still being stored")
                )
            elif leader is item:
                todo.append(item)
            else:
                followers.append((item, leader))
        return todo, followers

    async def _merge(
        self, store: IntakeStore, submitted: CapturedLead, may_update: bool, b: _Batch
    ) -> CapturedLead:
        """Fold a repeat submission into its lead; return the lead as it now stands (what LeadCaptured carries)."""
        merge = merge_submission(await store.load_for_merge(submitted.lead_id), submitted.lead, may_update)
        await store.update_merged(submitted.lead_id, merge, b.now)
        activity_id = str(uuid.uuid4())
        origin = {"source": submitted.lead.source, "form_id": submitted.lead.form_id}
        # The proposed values stay in capture's database (erased with the lead); the event names only the fields.
        stored = {**origin, "proposed_changes": merge.proposed, "updated_fields": list(merge.updated)}
        announced = {
            **origin,
            "proposed_fields": sorted(merge.proposed),
            "updated_fields": list(merge.updated),
        }
        await store.insert_activity(activity_id, submitted.lead_id, "resubmitted", b.now, stored)
        b.queue(
            activity_event(activity_id, submitted.lead_id, "resubmitted", b.now, announced),
            self._topics.activity,
        )
        if merge.consent_changed:
            changed = ConsentChanged(
                lead_id=submitted.lead_id,
                marketing=merge.lead.consent_marketing,
                purposes=list(merge.lead.consent_purposes),
                channel="backend" if may_update else "form",
                at=b.now,
            )
            b.queue(new_event(changed, source=SOURCE, subject=submitted.lead_id), self._topics.consent)
        return capture(merge.lead, submitted.lead_id, b.now, is_new=False)


class StorageUnavailable(ConnectionError):
    """The database failed while storing a lead; nothing of it was committed (answered as 503)."""


class IntakeBusy(StorageUnavailable):
    """The intake queue is full, or the database did not answer within the deadline (answered as 503)."""


def _is_database_error(exc: BaseException) -> bool:
    # A command timeout is a TimeoutError; "another operation is in progress" an InternalClientError.
    return isinstance(
        exc,
        asyncpg.PostgresError
        | asyncpg.InterfaceError
        | asyncpg.exceptions.InternalClientError
        | OSError
        | TimeoutError,
    )


def _unavailable(cause: BaseException) -> StorageUnavailable:
    unavailable = StorageUnavailable(type(cause).__name__)
    unavailable.__cause__ = cause  # the request's error log keeps the driver's error
    return unavailable


def _hash(item: _Pending) -> str:
    assert item.idempotency is not None
    return item.idempotency.request_hash
