"""One contract for capture's form store, run on PostgreSQL and on its memory twin."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadrelay.capture.adapters.form_store import FormStore
from leadrelay.capture.adapters.memory import MemoryFormStore
from leadrelay.capture.bootstrap import MIGRATIONS
from leadrelay.capture.domain.forms import Form, FormsConfig
from leadrelay.capture.ports import Forms

CONTACT = Form(id="contact", public_key="pk_contact_0123456789", allowed_origins=["https://acme.example"])
DEMO = Form(id="demo", public_key="pk_demo_0123456789ab")


@pytest.fixture(params=["postgres", "memory"])
async def new_store(request, open_database) -> Callable[[], Forms]:
    """A factory of form stores over one database: each call is another replica's."""
    if request.param == "memory":
        shared: dict = {}
        return lambda: MemoryFormStore(shared)
    engine = await open_database("capture", MIGRATIONS)
    return lambda: FormStore(engine, ttl_s=0)  # no cache life: a replica sees a change at once


async def test_seeding_adds_only_the_forms_not_stored_and_the_stored_copy_wins(new_store):
    store = new_store()
    await store.seed(FormsConfig(forms=[DEMO]))
    edited = DEMO.model_copy(update={"allowed_origins": ["https://edited.example"]})
    await store.put(edited)
    await store.seed(FormsConfig(forms=[DEMO, CONTACT]))  # a restart with the file: the edit stays
    assert (await new_store().current()).forms == [CONTACT, edited]


async def test_forms_are_replaced_deleted_and_given_a_configured_key_across_replicas(new_store):
    store, replica = new_store(), new_store()
    await store.put(CONTACT)
    await store.put(CONTACT.model_copy(update={"consent_text": "We may call you."}))
    assert (await replica.current()).by_id("contact").consent_text == "We may call you."
    assert await replica.apply_public_key("contact", "pk_rotated_0123456789") is True
    assert await replica.apply_public_key("contact", "pk_rotated_0123456789") is False  # it has it already
    assert await replica.apply_public_key("nowhere", "pk_rotated_0123456789") is False
    rotated = (await store.current()).by_public_key("pk_rotated_0123456789")
    assert rotated is not None and rotated.id == "contact" and rotated.consent_text == "We may call you."
    assert await store.delete("contact") is True
    assert await store.delete("contact") is False
    assert (await replica.current()).forms == []
