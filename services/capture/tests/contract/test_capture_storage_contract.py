"""One contract for capture's storage, run on PostgreSQL and on its memory twin: the twin that handler tests
use cannot drift from the database the service runs on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.capture.adapters.memory import CaptureStore, MemoryCaptureUnitOfWork
from leadrelay.capture.adapters.uow import PostgresCaptureUnitOfWork
from leadrelay.capture.bootstrap import MIGRATIONS
from leadrelay.capture.domain.lead import NewLead, capture
from leadrelay.capture.domain.merge import Merge
from leadrelay.capture.ports import CaptureUnitOfWork, StoredAnswer
from leadrelay.db.engine import session_factory

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
WINDOW = timedelta(days=30)
ADA = NewLead(
    email="ada@example.com",
    source="web_form",
    name="Ada",
    company="Analytical",
    company_size="51-200",
    employees=120,
    country="GB",
    message="Can we talk?",
    form_id="demo",
    utm={"campaign": "autumn"},
    consent_marketing=True,
    consent_policy_version="2026-01",
    consent_purposes=("contact", "marketing"),
)


@pytest.fixture(params=["postgres", "memory"])
async def new_uow(request, open_database) -> Callable[[], CaptureUnitOfWork]:
    if request.param == "memory":
        store = CaptureStore()
        return lambda: MemoryCaptureUnitOfWork(store)
    sessions = session_factory(await open_database("capture", MIGRATIONS))
    return lambda: PostgresCaptureUnitOfWork(sessions)


async def store_lead(new_uow, lead_id: str, lead: NewLead = ADA) -> None:
    async with new_uow() as uow:
        await uow.intake.insert_leads([capture(lead, lead_id, T0)])
        await uow.commit()


async def test_a_new_lead_reads_back_as_it_was_captured_and_only_once_committed(new_uow):
    async with new_uow() as uow:
        await uow.intake.insert_leads([capture(ADA, "l1", T0)])
    async with new_uow() as uow:
        assert not await uow.leads.exists("l1") and await uow.leads.count() == 0
    await store_lead(new_uow, "l1")
    await store_lead(new_uow, "l2", NewLead(email="bob@example.com", source="chat"))
    async with new_uow() as uow:
        assert await uow.leads.exists("l1") and await uow.leads.count() == 2
        assert await uow.leads.email_of("l2") == "bob@example.com" and await uow.leads.email_of("l3") is None
        stored = await uow.intake.load_for_merge("l1")
        assert stored.lead == ADA and not stored.marketing_opted_out
        with pytest.raises(LookupError):
            await uow.intake.load_for_merge("l3")


async def test_an_identity_keeps_its_lead_within_the_window_and_starts_anew_past_it(new_uow):
    async with new_uow() as uow:
        assert await uow.intake.resolve_identities({"ada": "l1", "bob": "l2"}, T0, WINDOW) == {
            "ada": "l1",
            "bob": "l2",
        }
        await uow.commit()
    async with new_uow() as uow:
        later = T0 + WINDOW - timedelta(minutes=1)
        assert await uow.intake.resolve_identities({"ada": "l9"}, later, WINDOW) == {"ada": "l1"}
        await uow.commit()
    async with new_uow() as uow:  # the window runs from when the identity was last seen
        assert await uow.intake.resolve_identities(
            {"ada": "l8"}, later + WINDOW - timedelta(minutes=1), WINDOW
        ) == {"ada": "l1"}
        assert await uow.intake.resolve_identities({"bob": "l7"}, later + WINDOW, WINDOW) == {"bob": "l7"}


async def test_an_idempotency_key_is_claimed_once_and_remembers_its_answer(new_uow):
    async with new_uow() as uow:
        assert await uow.intake.claim_keys({"k1": "hash-1", "k2": "hash-2"}) == {"k1", "k2"}
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.intake.claim_keys({"k1": "other", "k3": "hash-3"}) == {"k3"}
        assert await uow.intake.earlier_answers(["k1", "k4"]) == {"k1": StoredAnswer("hash-1", None, None)}
        await uow.intake.store_answers({"k1": {"lead_id": "l1", "is_new": True}})
        await uow.commit()
    async with new_uow() as uow:
        answers = await uow.intake.earlier_answers(["k1", "k2", "k3"])
        assert answers["k1"] == StoredAnswer("hash-1", 202, {"lead_id": "l1", "is_new": True})
        assert answers["k2"] == StoredAnswer("hash-2", None, None) and "k3" in answers


async def test_a_merge_keeps_the_first_email_source_form_and_utm_and_a_regrant_ends_an_opt_out(new_uow):
    await store_lead(new_uow, "l1")
    async with new_uow() as uow:
        assert await uow.erasure.opt_out("ada@example.com", T0) == {"l1": ["contact"]}
        await uow.commit()
    merged = NewLead(
        email="other@example.com",
        source="chat",
        name="Ada Lovelace",
        phone="+442071234567",
        form_id="other",
        utm={"campaign": "spring"},
        consent_marketing=True,
        consent_purposes=("contact", "marketing"),
    )
    async with new_uow() as uow:
        assert (await uow.intake.load_for_merge("l1")).marketing_opted_out
        await uow.intake.update_merged("l1", Merge(merged), T0 + timedelta(hours=1))
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.intake.load_for_merge("l1")
        assert (stored.lead.email, stored.lead.source, stored.lead.form_id, stored.lead.utm) == (
            "ada@example.com",
            "web_form",
            "demo",
            {"campaign": "autumn"},
        )
        assert (stored.lead.name, stored.lead.phone, stored.lead.company) == (
            "Ada Lovelace",
            "+442071234567",
            None,
        )
        assert stored.marketing_opted_out  # not regranted
        await uow.intake.update_merged("l1", Merge(merged, consent_regranted=True), T0 + timedelta(hours=2))
        await uow.commit()
    async with new_uow() as uow:
        assert not (await uow.intake.load_for_merge("l1")).marketing_opted_out


async def test_marketing_consent_is_withdrawn_by_email_and_given_back_by_confirmation(new_uow):
    await store_lead(new_uow, "l1")
    await store_lead(new_uow, "l2")
    await store_lead(new_uow, "l3", NewLead(email="bob@example.com", source="chat"))
    async with new_uow() as uow:
        assert await uow.erasure.lead_ids_for("ada@example.com", None) in (["l1", "l2"], ["l2", "l1"])
        assert (
            await uow.erasure.lead_ids_for(None, "l3") == ["l3"]
            and await uow.erasure.lead_ids_for(None, "x") == []
        )
        assert await uow.erasure.opt_out("ada@example.com", T0) == {"l1": ["contact"], "l2": ["contact"]}
        assert await uow.erasure.opt_out("nobody@example.com", T0) == {}
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.intake.load_for_merge("l1")
        assert stored.marketing_opted_out and not stored.lead.consent_marketing
        assert await uow.erasure.confirm_marketing(["l1", "l3", "x"]) == {
            "l1": ["contact", "marketing"],
            "l3": ["contact", "marketing"],
        }
        await uow.commit()
    async with new_uow() as uow:
        stored = await uow.intake.load_for_merge("l1")
        assert not stored.marketing_opted_out and stored.lead.consent_marketing
        assert stored.lead.consent_purposes == ("contact", "marketing")
        assert (await uow.intake.load_for_merge("l2")).marketing_opted_out


async def test_an_erased_lead_leaves_no_lead_identity_or_remembered_answer(new_uow):
    await store_lead(new_uow, "l1")
    await store_lead(new_uow, "l2", NewLead(email="bob@example.com", source="chat"))
    async with new_uow() as uow:
        await uow.intake.resolve_identities({"ada": "l1", "bob": "l2"}, T0, WINDOW)
        await uow.intake.claim_keys({"k1": "h1", "k2": "h2"})
        await uow.intake.store_answers(
            {"k1": {"lead_id": "l1", "is_new": True}, "k2": {"lead_id": "l2", "is_new": True}}
        )
        await uow.intake.insert_activity("a1", "l1", "page_view", T0, {"path": "/pricing"})
        await uow.intake.insert_activity("a2", "l1", "resubmitted", T0, {"source": "chat"})
        await uow.commit()
    async with new_uow() as uow:
        await uow.erasure.erase("l1", T0)
        await uow.commit()
    async with new_uow() as uow:
        assert not await uow.leads.exists("l1") and await uow.leads.count() == 1
        assert await uow.erasure.lead_ids_for("ada@example.com", None) == []
        assert await uow.intake.resolve_identities({"ada": "l5", "bob": "l6"}, T0, WINDOW) == {
            "ada": "l5",
            "bob": "l2",
        }
        assert set(await uow.intake.earlier_answers(["k1", "k2"])) == {"k2"}
        await uow.intake.insert_activity(
            "a1", "l5", "page_view", T0, {}
        )  # the erased lead's activities are gone
