"""Capture's erasure and consent handlers on the memory twin of its storage (tests/contract holds the twin to
PostgreSQL's behaviour): each runs in milliseconds, with no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from leadrelay.capture.adapters.memory import CaptureStore, MemoryCaptureUnitOfWork
from leadrelay.capture.domain.lead import NewLead, capture
from leadrelay.capture.handlers import lead_captured, record_consent_change
from leadrelay.capture.privacy import PersonSelector, erase_person
from leadrelay.events import Topics, decode, new_event
from leadrelay.events.lead import ConsentChanged

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
TOPICS = Topics("t.")
ADA = NewLead(
    email="ada@example.com", source="web_form", name="Ada", consent_purposes=("contact", "marketing")
)


async def stored(store: CaptureStore, lead: NewLead = ADA) -> str:
    """Store a lead with its LeadCaptured published, as intake leaves it."""
    lead_id = str(uuid.uuid4())
    async with MemoryCaptureUnitOfWork(store) as uow:
        captured = capture(lead, lead_id, NOW)
        await uow.intake.insert_leads([captured])
        uow.outbox.add(new_event(lead_captured(captured), source="test", subject=lead_id), TOPICS.captured)
        await uow.commit()
    return lead_id


async def test_erasing_a_person_removes_each_of_their_leads_and_events_and_announces_it_without_their_data():
    store = CaptureStore()
    first, second = await stored(store), await stored(store)
    other = await stored(store, NewLead(email="bob@example.com", source="chat"))
    erased = await erase_person(
        PersonSelector(email="Ada@Example.com"), MemoryCaptureUnitOfWork(store), TOPICS, NOW
    )
    assert sorted(erased) == sorted([first, second])
    assert set(store.leads) == {other} and set(store.erasures) == {first, second}
    events = [(row["topic"], decode(row["value"])) for row in store.messaging.published]
    assert [(topic, e.type) for topic, e in events if e.subject != other] == [
        (TOPICS.erased, "leadrelay.lead.erased.v1"),
        (TOPICS.erased, "leadrelay.lead.erased.v1"),
    ]
    assert all("ada@example.com" not in row["value"].decode() for row in store.messaging.published)


async def test_erasing_nobody_changes_nothing():
    store = CaptureStore()
    await stored(store)
    before = (dict(store.leads), list(store.messaging.published))
    assert (
        await erase_person(
            PersonSelector(email="nobody@example.com"), MemoryCaptureUnitOfWork(store), TOPICS, NOW
        )
        == []
    )
    assert (store.leads, store.messaging.published) == before


async def test_a_consent_change_is_an_activity_of_its_lead_announced_with_the_change():
    store = CaptureStore()
    lead_id = await stored(store)
    changed = ConsentChanged(
        lead_id=lead_id, marketing=False, purposes=["contact"], channel="opt_out", at=NOW
    )
    async with MemoryCaptureUnitOfWork(store) as uow:
        await record_consent_change(uow, TOPICS, changed, "marketing_opt_out")
        await uow.commit()
    [activity_id] = store.activities
    assert (store.activities[activity_id].lead_id, store.activities[activity_id].kind) == (
        lead_id,
        "marketing_opt_out",
    )
    published = {row["topic"]: decode(row["value"]) for row in store.messaging.published[1:]}
    assert published[TOPICS.activity].id == activity_id  # the event carries the activity's id
    assert published[TOPICS.consent].data == changed
