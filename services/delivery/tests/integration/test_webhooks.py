"""Webhooks end to end on Kafka and PostgreSQL: a handoff reaches a real receiver signed by the Standard Webhooks
specification; failures are retried with the same webhook-id, a 410 disables the subscription, a restart in the
middle of retries loses and repeats nothing, and targets inside the network are refused unless allow-listed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from leadrelay.delivery.bootstrap import MIGRATIONS, build_app
from leadrelay.delivery.domain.signing import new_secret
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import publish
from leadrelay.devkit.testing.keys import ADMIN_KEY, role_keys
from leadrelay.devkit.testing.receiver import Receiver
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import Envelope, new_event
from leadrelay.events.handoff import DecisionRef, HandoffBreached, LeadQualified, Owner, SlaTerms

QUALIFIED = LeadQualified.EVENT_TYPE
BREACHED = HandoffBreached.EVENT_TYPE


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> DeliverySettings:
    return DeliverySettings(
        database=await create_database("delivery", MIGRATIONS),
        kafka=kafka_settings,
        postgres=postgres_settings,
        allowed_targets=["127.0.0.1"],
        retry_first_delay_s=0.05,
        retry_max_delay_s=2,
        dispatch_interval_s=0.05,
        request_timeout_s=2,
        **role_keys(),
    )


def qualified(handoff_id: str, queue: str = "enterprise", grade: str = "A") -> Envelope:
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=f"lead-{handoff_id}",
        queue=queue,
        owner=Owner(id="rep-ada", name="Ada"),
        score=80,
        grade=grade,
        stage="sql",
        sla=SlaTerms(policy="enterprise", due_at=datetime.now(UTC) + timedelta(hours=1)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    return new_event(data, source="leadrelay/routing", subject=data.lead_id)


def breached(handoff_id: str) -> Envelope:
    now = datetime.now(UTC)
    data = HandoffBreached(
        handoff_id=handoff_id,
        lead_id=f"lead-{handoff_id}",
        owner_id="rep-ada",
        queue="enterprise",
        due_at=now,
        breached_at=now,
        overdue_seconds=60,
    )
    return new_event(data, source="leadrelay/sla-monitor", subject=data.lead_id)


async def subscribe(client, url: str, events: list[str], **filters: str) -> dict:
    answer = await client.post(
        "/v1/subscriptions",
        json={"name": "crm", "target": {"type": "webhook", "url": url}, "events": events, "filters": filters},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_handoff_reaches_the_receiver_as_a_signed_cloudevent(settings):
    async with Receiver() as receiver, running(build_app(settings), key=ADMIN_KEY) as client:
        subscription = await subscribe(client, receiver.url, [QUALIFIED, BREACHED], queue="enterprise")
        assert subscription["secret"].startswith("whsec_") and subscription["state"] == "active"
        listed = (await client.get("/v1/subscriptions")).json()
        assert "secret" not in json.dumps(listed) and listed[0]["id"] == subscription["id"]
        wanted, other_queue = qualified("h-1"), qualified("h-2", queue="smb")
        await publish(settings.kafka, other_queue, wanted, breached("h-1"))
        await wait_until(
            lambda: _count(receiver, 2), what="the handoff and its breach delivered", timeout_s=30
        )
    # attempts go out side by side, so a lead's webhooks may arrive in any order (each carries its event's time)
    handoff, breach = sorted(receiver.received, key=lambda r: json.loads(r.body)["type"] != QUALIFIED)
    verified = Webhook(subscription["secret"]).verify(handoff.body, handoff.headers)
    assert verified["id"] == wanted.id and verified["type"] == QUALIFIED  # the CloudEvent as it is
    assert verified["data"]["handoff_id"] == "h-1"
    assert (
        Webhook(subscription["secret"]).verify(breach.body, breach.headers)["type"] == BREACHED
    )  # matched by
    # the handoff's queue, which the breach itself does not carry
    assert handoff.headers["webhook-id"] != breach.headers["webhook-id"]


async def test_a_failing_receiver_gets_the_delivery_once_it_answers_and_every_try_has_the_same_id(settings):
    async with (
        Receiver(script=[500, 500, 500, 200]) as receiver,
        running(build_app(settings), key=ADMIN_KEY) as client,
    ):
        await subscribe(client, receiver.url, [QUALIFIED])
        await publish(settings.kafka, qualified("h-retry"))
        await wait_until(lambda: _count(receiver, 4), what="three failures and a success", timeout_s=30)
        [delivery] = (await client.get("/v1/deliveries")).json()
        await wait_until(
            lambda: _delivered(client, delivery["id"]), what="the delivery recorded as delivered"
        )
        detail = (await client.get(f"/v1/deliveries/{delivery['id']}")).json()
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert [a["status_code"] for a in detail["attempts_made"]] == [500, 500, 500, 200]
    assert detail["attempts"] == 4 and detail["status"] == "delivered" and "body" not in detail
    assert len(receiver.received) == 4  # nothing after the 200


async def test_retry_after_is_honoured(settings):
    async with (
        Receiver(script=[503, 200], retry_after="1") as receiver,
        running(build_app(settings), key=ADMIN_KEY) as client,
    ):
        await subscribe(client, receiver.url, [QUALIFIED])
        await publish(settings.kafka, qualified("h-later"))
        await wait_until(lambda: _count(receiver, 2), what="the second try", timeout_s=30)
    first, second = receiver.received
    assert second.at - first.at >= 0.95  # our own first delay is 50 ms


async def test_a_410_disables_the_subscription_and_a_replay_waits_until_it_is_enabled(settings):
    async with Receiver(script=[410, 200]) as receiver, running(build_app(settings), key=ADMIN_KEY) as client:
        subscription = await subscribe(client, receiver.url, [QUALIFIED])
        await publish(settings.kafka, qualified("h-gone"))

        async def disabled() -> bool:
            found = (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()
            return found["state"] == "disabled"

        await wait_until(disabled, what="the subscription disabled", timeout_s=30)
        found = (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()
        assert "410" in found["disabled_reason"]
        [delivery] = (await client.get("/v1/deliveries", params={"status": "failed"})).json()
        assert (await client.post(f"/v1/deliveries/{delivery['id']}/replay")).status_code == 409
        assert (await client.post(f"/v1/subscriptions/{subscription['id']}/enable")).status_code == 200
        assert (await client.post(f"/v1/deliveries/{delivery['id']}/replay")).status_code == 202
        await wait_until(lambda: _count(receiver, 2), what="the replay delivered", timeout_s=30)
        await wait_until(lambda: _delivered(client, delivery["id"]), what="the replay recorded")
        replayed = (await client.get(f"/v1/deliveries/{delivery['id']}")).json()
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    # the replay's backoff starts afresh; both attempts stay in the history
    assert replayed["attempts"] == 1 and [a["status_code"] for a in replayed["attempts_made"]] == [410, 200]


async def test_a_restart_in_the_middle_of_retries_loses_and_repeats_nothing(settings):
    slow = settings.model_copy(update={"retry_first_delay_s": 1.5, "retry_max_delay_s": 1.5})
    async with Receiver(script=[500, 200]) as receiver:
        async with running(build_app(slow), key=ADMIN_KEY) as client:
            await subscribe(client, receiver.url, [QUALIFIED])
            await publish(settings.kafka, qualified("h-restart"))
            await wait_until(lambda: _count(receiver, 1), what="the first, failed try", timeout_s=30)
        async with running(build_app(slow), key=ADMIN_KEY) as client:
            await wait_until(lambda: _count(receiver, 2), what="the retry after the restart", timeout_s=30)
            [delivery] = (await client.get("/v1/deliveries")).json()
            await wait_until(lambda: _delivered(client, delivery["id"]), what="recorded as delivered")
            await publish(settings.kafka, qualified("h-after"))
            await wait_until(lambda: _count(receiver, 3), what="the next handoff", timeout_s=30)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids[0] == ids[1] and ids[2] != ids[0] and len(receiver.received) == 3


async def test_a_rotated_secret_and_the_previous_one_both_verify_during_the_overlap(settings):
    async with Receiver() as receiver, running(build_app(settings), key=ADMIN_KEY) as client:
        subscription = await subscribe(client, receiver.url, [QUALIFIED])
        rotated = (await client.post(f"/v1/subscriptions/{subscription['id']}/secret")).json()
        await publish(settings.kafka, qualified("h-rotated"))
        await wait_until(lambda: _count(receiver, 1), what="the delivery", timeout_s=30)
    [got] = receiver.received
    for secret in (subscription["secret"], rotated["secret"]):
        assert Webhook(secret).verify(got.body, got.headers)["data"]["handoff_id"] == "h-rotated"


async def test_targets_inside_the_network_are_refused_unless_allow_listed(settings):
    closed = settings.model_copy(update={"allowed_targets": []})
    async with running(build_app(closed), key=ADMIN_KEY) as client:
        refused = {
            url: await client.post(
                "/v1/subscriptions",
                json={"name": "inside", "target": {"type": "webhook", "url": url}, "events": [QUALIFIED]},
            )
            for url in (
                "http://127.0.0.1:9/hook",
                "http://169.254.169.254/latest/meta-data",
                "http://localhost/x",
            )
        }
        email = await client.post(
            "/v1/subscriptions",
            json={
                "name": "mail",
                "target": {"type": "email", "address": "rep@example.com"},
                "events": [QUALIFIED],
            },
        )
    for url, answer in refused.items():
        assert answer.status_code == 422, (url, answer.text)
        [problem] = answer.json()["errors"]
        assert (
            problem["field"] == "target.url" and "LEADRELAY_DELIVERY_ALLOWED_TARGETS" in problem["reason"]
        ), url
    assert email.status_code == 422 and email.json()["errors"][0]["field"] == "target.type"
    async with Receiver() as receiver, running(build_app(settings), key=ADMIN_KEY) as client:
        assert (await subscribe(client, receiver.url, [QUALIFIED]))["state"] == "active"


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.received) >= n


async def _delivered(client, delivery_id: int) -> bool:
    return (await client.get(f"/v1/deliveries/{delivery_id}")).json()["status"] == "delivered"


async def test_the_subscriptions_file_seeds_new_names_and_the_api_s_changes_win(
    settings, tmp_path, monkeypatch
):
    secret = new_secret()
    monkeypatch.setenv("SEEDED_CRM_SECRET", secret)
    async with Receiver() as receiver:
        path = tmp_path / "subscriptions.yaml"
        path.write_text(
            "subscriptions:\n"
            f"  - {{name: crm, target: {{type: webhook, url: '{receiver.url}'}},"
            f" events: [{QUALIFIED}], secret_env: SEEDED_CRM_SECRET}}\n"
            "  - {name: inside, target: {type: webhook, url: 'http://10.1.2.3/hook'}, events: ["
            + QUALIFIED
            + "]}\n"
        )
        seeded = settings.model_copy(update={"subscriptions_path": path})
        async with running(build_app(seeded), key=ADMIN_KEY) as client:
            [crm] = (await client.get("/v1/subscriptions")).json()  # the private target was not seeded
            assert crm["name"] == "crm" and crm["state"] == "active"
            await publish(settings.kafka, qualified("h-seeded"))
            await wait_until(
                lambda: _count(receiver, 1), what="the seeded subscription's delivery", timeout_s=30
            )
            assert (await client.post(f"/v1/subscriptions/{crm['id']}/disable")).status_code == 200
        async with running(build_app(seeded), key=ADMIN_KEY) as client:
            [again] = (await client.get("/v1/subscriptions")).json()
        audit = await _audit(seeded)
    assert Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert again["id"] == crm["id"] and again["state"] == "disabled"  # not seeded twice, not re-enabled
    assert ("subscriptions-file", "subscription_created") in audit


async def _audit(settings: DeliverySettings) -> set[tuple[str, str]]:
    async with running(build_app(settings), key=ADMIN_KEY) as client:
        entries = (await client.get("/v1/audit")).json()
    rows = entries["entries"] if isinstance(entries, dict) else entries
    return {(e["actor"], e["action"]) for e in rows}
