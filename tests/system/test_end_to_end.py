"""A lead posted to capture reaches the handoff topic, a subscribed CRM's webhook, signed, and the rep's mailbox,
whose "contacted" link stops the clock; a missed follow-up is breached (the CRM hears that too); KPIs count it
all."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

import httpx
import pytest
from standardwebhooks import Webhook

from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.mailbox import Mailbox
from leadrelay.devkit.testing.receiver import Receiver
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Contact, LeadCaptured

pytestmark = pytest.mark.system

API = {"X-API-Key": "system-test-api-key-0123"}  # as configured by conftest
VIEWER = {"X-API-Key": "system-test-viewer-key-0123"}
ADMIN = {"X-API-Key": "system-test-admin-key-0123"}

HOT = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "company": "Analytical Engines",
    "phone": "+44 20 7946 0958",
    "title": "VP Engineering",
    "company_size": "1000+",
    "source": "referral",
    "message": "Can we see a demo this week?",
}


async def test_lead_to_handoff_to_breach_with_kpis(system):
    topics = system.kafka.topics
    bs = system.kafka.bootstrap_servers
    async with httpx.AsyncClient(timeout=10, headers=API) as http, Receiver() as crm:
        for service in system.stack.services.values():
            for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
                assert (await http.get(service.url + path)).status_code == 200, (service.spec.name, path)
        subscribed = await http.post(
            system.url("delivery") + "/v1/subscriptions",
            json={
                "name": "crm",
                "target": {"type": "webhook", "url": crm.url},
                "events": ["leadrelay.lead.qualified.v1", "leadrelay.handoff.breached.v1"],
            },
            headers=ADMIN,
        )
        assert subscribed.status_code == 201, subscribed.text

        async def routing_heard_the_sla_policies() -> bool:
            response = await http.get(system.url("routing") + "/v1/sla-policies", headers=VIEWER)
            return response.status_code == 200

        # the SLA monitor announces its policies at start; routing states deadlines by them from then on
        await wait_until(routing_heard_the_sla_policies, what="routing has the SLA policies")

        posted_at = datetime.now().astimezone()
        ignored = await http.post(
            system.url("capture") + "/v1/leads", json={**HOT, "email": "grace@example.com"}
        )
        # a CRM sends the head count, not a bucket: the routing rule on lead.company.employees takes it
        missed = await http.post(system.url("capture") + "/v1/leads", json={**HOT, "company_size": 850})
        assert ignored.status_code == missed.status_code == 202
        ids = {ignored.json()["lead_id"]: "contacted", missed.json()["lead_id"]: "missed"}

        async with TopicReader(bs, topics.qualified) as reader:
            handoffs = [m.json() for m in await reader.wait_for(2, timeout_s=60)]
        for event in handoffs:
            for field in ("specversion", "id", "type", "source", "subject", "time", "datacontenttype"):
                assert field in event
            assert event["type"] == "leadrelay.lead.qualified.v1"
            data = event["data"]
            assert data["lead_id"] in ids and event["subject"] == data["lead_id"]
            assert data["owner"]["id"].startswith("rep-")
            assert datetime.fromisoformat(data["sla"]["due_at"]) > posted_at
        by_lead = {e["data"]["lead_id"]: e["data"] for e in handoffs}
        contacted = by_lead[ignored.json()["lead_id"]]
        breached_expected = by_lead[missed.json()["lead_id"]]
        assert (breached_expected["queue"], breached_expected["decision"]["rule"]) == (
            "enterprise",
            "head-count",
        )
        assert contacted["decision"]["rule"] == "large-companies"  # a bucket has no head count

        # the rep hears of it by email within seconds, and the email's "contacted" link stops the clock
        rep = contacted["owner"]["email"]
        assert rep and contacted["manager"]["id"] == "rep-mary"
        mail = await wait_until(lambda: _mail_about(system.mailbox, rep, contacted), what="the rep's email")
        text = mail.get_body(("plain",)).get_content()
        link = re.search(r"I contacted them: (\S+)", text).group(1)
        page = await http.get(link, headers={})
        assert page.status_code == 200 and "<form" in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)

        async def clicked() -> httpx.Response | None:
            # the SLA monitor may not have read the handoff yet: the page says so, and the rep clicks again
            response = await http.post(
                system.url("delivery") + "/v1/actions/contacted", data={"token": token, "channel": "phone"}
            )
            return response if response.status_code != 503 else None

        done = await wait_until(clicked, what="the contact reported through the link")
        assert done.status_code == 200, done.text
        clock = (
            await http.get(
                system.url("sla-monitor") + f"/v1/handoffs/{contacted['handoff_id']}", headers=VIEWER
            )
        ).json()
        assert clock["state"] == "contacted"
        # one owner of the deadline: the handoff routing announced states the clock the SLA monitor keeps
        assert datetime.fromisoformat(clock["due_at"]) == datetime.fromisoformat(contacted["sla"]["due_at"])

        async with TopicReader(bs, topics.sla_breached) as reader:
            [breach] = (await reader.wait_for(1, timeout_s=30))[:1]
            assert breach.json()["data"]["handoff_id"] == breached_expected["handoff_id"]
            await wait_until(
                lambda: _past(http, system.url("sla-monitor"), contacted["handoff_id"]),
                what="second deadline",
            )
            breached = {m.json()["data"]["lead_id"] for m in await reader.settle(1.0)}
            assert breached == {breached_expected["lead_id"]}  # the contacted handoff never breaches

        # routing escalated the missed one: attempt 2, another rep
        async with TopicReader(bs, topics.qualified) as reader:
            await reader.wait_for(3, timeout_s=30)
            attempts = [
                m.json()["data"]
                for m in reader.messages
                if m.json()["data"]["lead_id"] == breached_expected["lead_id"]
            ]
        second = next(a for a in attempts if a["attempt"] == 2)
        assert second["owner"]["id"] != breached_expected["owner"]["id"]

        # the CRM got both handoffs and the breach as webhooks, each verified with its subscription's secret
        async def crm_heard_it_all() -> bool:
            return len(crm.received) >= 4  # two handoffs, the breach, the escalation

        await wait_until(crm_heard_it_all, what="the webhooks", timeout_s=30)
        verify = Webhook(subscribed.json()["secret"]).verify
        webhooks = [verify(r.body, r.headers) for r in crm.received]
        assert {w["data"]["handoff_id"] for w in webhooks if w["type"] == "leadrelay.lead.qualified.v1"} >= {
            e["handoff_id"] for e in by_lead.values()
        }
        assert breached_expected["handoff_id"] in {
            w["data"]["handoff_id"] for w in webhooks if w["type"] == "leadrelay.handoff.breached.v1"
        }

        expected = {"captured": 2, "scored": 2, "sql": 2, "handed_off": 2, "contacted": 1}
        await wait_until(
            lambda: _totals_match(
                http, system.url("metrics"), expected, at_least={"breached": 1, "reassigned": 1}
            ),
            what="KPIs",
            timeout_s=30,
        )


async def _mail_about(mailbox: Mailbox, address: str, handoff: dict) -> EmailMessage | None:
    mails = [m for m in mailbox.to(address) if handoff["handoff_id"] in m.get_body(("plain",)).get_content()]
    return mails[0] if mails else None


async def _past(http: httpx.AsyncClient, base: str, handoff_id: str) -> bool:
    handoff = (await http.get(f"{base}/v1/handoffs/{handoff_id}", headers=VIEWER)).json()
    return datetime.fromisoformat(handoff["due_at"]) < datetime.now().astimezone()


async def _totals_match(
    http: httpx.AsyncClient, base: str, expected: dict[str, int], at_least: dict[str, int]
) -> bool:
    totals = (await http.get(f"{base}/v1/kpis", headers=VIEWER)).json()["totals"]
    # escalations go on (next rep, manager, pool) while the test watches: those are minimums
    return all(totals.get(k) == v for k, v in expected.items()) and all(
        totals.get(k, 0) >= v for k, v in at_least.items()
    )


async def test_bad_input_never_crashes_a_service(system):
    topics = system.kafka.topics
    bs = system.kafka.bootstrap_servers
    async with httpx.AsyncClient(timeout=10, headers=API) as http:
        capture = system.url("capture") + "/v1/leads"
        assert (await http.post(capture, json={"name": "no email"})).status_code == 422
        assert (await http.post(capture, json={"email": "x@@y"})).status_code == 422
        assert (await http.post(capture, json={"email": 7, "name": ["a"]})).status_code == 422
        assert (
            await http.post(capture, json={"email": "a@example.com", "message": "x" * 70_000})
        ).status_code == 413

        unknown = encode(
            new_event(
                LeadCaptured(
                    lead_id="x", source="api", completeness="partial", contact=Contact(email="a@b.co")
                ),
                source="elsewhere",
                subject="x",
            )
        ).replace(b"leadrelay.lead.captured.v1", b"leadrelay.lead.teleported.v1")
        await produce(bs, topics.captured, unknown, key="x")
        await produce(bs, topics.captured, b"\x00\x01garbage", key="x")
        async with TopicReader(bs, topics.dlq(topics.captured)) as dlq:
            dead = await dlq.wait_for(4, timeout_s=60)  # scoring and metrics each dead-letter both
        services = {m.headers["service"] for m in dead}
        assert services == {"scoring", "metrics"}
        assert any("unknown event type" in m.headers["error"] for m in dead)

        good = await http.post(capture, json=HOT)
        assert good.status_code == 202
        async with TopicReader(bs, topics.qualified) as reader:
            await reader.wait_for(1, timeout_s=60)
        for service in system.stack.services.values():
            assert service.alive(), service.log_tail()
            assert (await http.get(service.url + "/healthz")).status_code == 200
