"""Email on Kafka, PostgreSQL and a real SMTP server: the rep hears of a handoff (deadline in their time zone),
the rep and the manager of a late one; the links act through the owning services' APIs; a refused address is
not retried, a busy server is; an email subscription gets its copy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.delivery.bootstrap import MIGRATIONS, build_app
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import publish
from leadrelay.devkit.testing.keys import ADMIN_KEY, role_keys
from leadrelay.devkit.testing.mailbox import Mailbox
from leadrelay.devkit.testing.receiver import Receiver
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import Envelope, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffAtRisk,
    HandoffBreached,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.lead import Contact, LeadSnapshot

REP = Owner(id="rep-grace", name="Grace Hopper", email="grace@sales.example", timezone="America/New_York")
MANAGER = Owner(id="rep-mary", name="Mary Jackson", email="mary@sales.example", timezone="Europe/Berlin")
DUE = datetime(2026, 12, 8, 15, 30, tzinfo=UTC)
LINK_SECRET = "email-link-secret-for-the-tests-0123456789"
SALES_KEY = "delivery-acts-for-reps-0123456789"


@pytest.fixture
async def mailbox():
    async with Mailbox(refused={"nobody@sales.example"}, busy={"busy@sales.example"}) as box:
        yield box


@pytest.fixture
async def services():
    """Stands in for routing and the SLA monitor: records the calls the links make."""
    async with Receiver() as receiver:
        yield receiver


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings, mailbox, services) -> DeliverySettings:
    base = services.url.rsplit("/hooks", 1)[0]
    return DeliverySettings(
        database=await create_database("delivery", MIGRATIONS),
        kafka=kafka_settings,
        postgres=postgres_settings,
        retry_first_delay_s=0.05,
        retry_max_delay_s=0.2,
        dispatch_interval_s=0.05,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        mail_from="Leadrelay <leadrelay@example.com>",
        public_url="http://delivery.example",
        link_secret=LINK_SECRET,
        sales_key=SALES_KEY,
        routing_url=base,
        sla_monitor_url=base,
        **role_keys(),
    )


def qualified(handoff_id: str, owner: Owner = REP) -> Envelope:
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=f"lead-{handoff_id}",
        queue="enterprise",
        owner=owner,
        manager=MANAGER,
        score=87,
        grade="A",
        stage="sql",
        lead=LeadSnapshot(contact=Contact(name="Ada Lovelace", company="Analytical Engines", phone="+4420")),
        sla=SlaTerms(policy="enterprise", due_at=DUE),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    return new_event(data, source="leadrelay/routing", subject=data.lead_id)


def late(handoff_id: str, breach: bool = False) -> Envelope:
    common = {
        "handoff_id": handoff_id,
        "lead_id": f"lead-{handoff_id}",
        "owner_id": REP.id,
        "queue": "enterprise",
    }
    now = datetime.now(UTC)
    data = (
        HandoffBreached(**common, due_at=DUE, breached_at=now, overdue_seconds=600)
        if breach
        else HandoffAtRisk(**common, due_at=DUE, warned_at=now)
    )
    return new_event(data, source="leadrelay/sla-monitor", subject=data.lead_id)


def links_in(text: str) -> dict[str, str]:
    return dict(re.findall(r"(Accept|I contacted them|Reject): (\S+)", text))


async def test_the_rep_hears_of_a_handoff_and_rep_and_manager_of_a_late_one(settings, mailbox):
    async with running(build_app(settings), key=ADMIN_KEY):
        await publish(settings.kafka, qualified("h-mail"))
        await wait_until(lambda: _mails(mailbox, 1), what="the rep's email", timeout_s=30)
        await publish(settings.kafka, late("h-mail"), late("h-mail", breach=True))
        await wait_until(lambda: _mails(mailbox, 5), what="the warnings and the breach", timeout_s=30)
    [handoff, *later] = mailbox.to(REP.email)
    assert "Ada Lovelace (Analytical Engines)" in handoff["Subject"]
    text = handoff.get_body(("plain",)).get_content()
    html = handoff.get_body(("html",)).get_content()
    # 15:30 UTC is 10:30 in New York, where the rep reads it
    assert "Tue 08 Dec 2026, 10:30 EST" in text and "10:30 EST" in html
    assert "Score 87 (grade A)" in text and "+4420" in text
    assert set(links_in(text)) == {"Accept", "I contacted them", "Reject"}
    assert all(url.startswith("http://delivery.example/v1/actions/") for url in links_in(text).values())
    assert (
        handoff["Auto-Submitted"] == "auto-generated"
        and handoff["From"] == "Leadrelay <leadrelay@example.com>"
    )
    at_risk, breach = sorted(later, key=lambda m: "Missed" in m["Subject"])
    assert "Reminder" in at_risk["Subject"] and links_in(at_risk.get_body(("plain",)).get_content())
    # the breached handoff went on to someone else: nothing to act on from here
    assert "Missed" in breach["Subject"] and not links_in(breach.get_body(("plain",)).get_content())
    manager_mails = mailbox.to(MANAGER.email)
    assert len(manager_mails) == 2  # the at-risk warning and the breach, not the handoff
    for mail in manager_mails:
        body = mail.get_body(("plain",)).get_content()
        assert "Grace Hopper" in body and "Ada Lovelace" in body and not links_in(body)
    # the manager reads the deadline in Berlin
    assert all("16:30 CET" in m.get_body(("plain",)).get_content() for m in manager_mails)


async def test_the_contacted_link_acts_through_the_sla_monitor_and_a_get_changes_nothing(
    settings, mailbox, services
):
    async with running(build_app(settings), key=ADMIN_KEY) as client:
        await publish(settings.kafka, qualified("h-link"))
        await wait_until(lambda: _mails(mailbox, 1), what="the rep's email", timeout_s=30)
        links = links_in(mailbox.messages[0].get_body(("plain",)).get_content())
        path = links["I contacted them"].removeprefix("http://delivery.example")
        page = await client.get(path, headers={"X-API-Key": ""})
        assert page.status_code == 200 and "<form" in page.text and services.received == []
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
        done = await client.post(
            "/v1/actions/contacted", data={"token": token, "channel": "phone"}, headers={"X-API-Key": ""}
        )
        assert done.status_code == 200 and "clock has stopped" in done.text
        [call] = services.received
        assert call.path == "/v1/handoffs/h-link/contact"
        assert call.headers["x-api-key"] == SALES_KEY and '"phone"' in call.body

        reject = links["Reject"].removeprefix("http://delivery.example")
        reject_token = reject.split("token=", 1)[1]
        no_reason = await client.post("/v1/actions/reject", data={"token": reject_token, "reason": " "})
        assert no_reason.status_code == 422 and len(services.received) == 1
        forged = await client.post("/v1/actions/contacted", data={"token": token[:-4] + "AAAA"})
        assert forged.status_code == 400 and len(services.received) == 1


async def test_an_expired_link_does_nothing(settings, services):
    from leadrelay.delivery.emails import link_token

    expired = link_token("h-old", LINK_SECRET, datetime.now(UTC) - timedelta(seconds=1))
    async with running(build_app(settings), key=ADMIN_KEY) as client:
        page = await client.get("/v1/actions/accept", params={"token": expired})
        acted = await client.post("/v1/actions/accept", data={"token": expired})
    assert page.status_code == acted.status_code == 400 and "expired" in acted.text
    assert services.received == []


async def test_a_refused_address_fails_at_once_and_a_busy_server_is_tried_again(settings, mailbox):
    nobody = Owner(id="rep-nobody", name="No Body", email="nobody@sales.example")
    busy = Owner(id="rep-busy", name="Busy Bee", email="busy@sales.example")
    async with running(build_app(settings), key=ADMIN_KEY) as client:
        await publish(settings.kafka, qualified("h-refused", nobody), qualified("h-busy", busy))

        async def settled() -> list[dict] | None:
            rows = (await client.get("/v1/deliveries")).json()
            refused = [r for r in rows if r["recipient"] == nobody.email]
            retried = [r for r in rows if r["recipient"] == busy.email and r["attempts"] >= 3]
            return rows if refused and refused[0]["status"] == "failed" and retried else None

        rows = await wait_until(settled, what="a refusal and retries", timeout_s=30)
    refused = next(r for r in rows if r["recipient"] == nobody.email)
    assert refused["attempts"] == 1 and refused["last_status_code"] == 550 and refused["channel"] == "email"
    assert refused["subscription_id"] is None
    retried = next(r for r in rows if r["recipient"] == busy.email)
    assert retried["status"] == "pending" and retried["last_status_code"] == 451
    assert mailbox.messages == []


async def test_an_email_subscription_gets_a_copy_without_links(settings, mailbox):
    async with running(build_app(settings), key=ADMIN_KEY) as client:
        made = await client.post(
            "/v1/subscriptions",
            json={
                "name": "sales-ops inbox",
                "target": {"type": "email", "address": "ops@sales.example"},
                "events": [LeadQualified.EVENT_TYPE],
            },
        )
        assert made.status_code == 201, made.text
        await publish(settings.kafka, qualified("h-copy"))
        await wait_until(lambda: _mails(mailbox, 2), what="the rep's email and the copy", timeout_s=30)
    [copy] = mailbox.to("ops@sales.example")
    assert "Ada Lovelace" in copy["Subject"] and not links_in(copy.get_body(("plain",)).get_content())


async def _mails(mailbox: Mailbox, n: int) -> bool:
    return len(mailbox.messages) >= n


async def test_opening_links_is_limited_per_client_and_a_trusted_proxy_names_the_client(settings):
    from leadrelay.delivery.emails import link_token

    token = link_token("h-limited", LINK_SECRET, datetime.now(UTC) + timedelta(hours=1))
    limited = settings.model_copy(update={"link_rate_limit": "3/minute", "trusted_proxies": ["127.0.0.1"]})
    async with running(build_app(limited)) as client:  # the test client's peer is 127.0.0.1, the proxy
        pages = [
            await client.get(
                "/v1/actions/accept", params={"token": token}, headers={"X-Forwarded-For": "203.0.113.7"}
            )
            for _ in range(4)
        ]
        other = await client.get(
            "/v1/actions/accept", params={"token": token}, headers={"X-Forwarded-For": "203.0.113.8"}
        )
    assert [p.status_code for p in pages] == [200, 200, 200, 429] and pages[3].headers["retry-after"]
    assert other.status_code == 200
