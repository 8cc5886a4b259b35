"""A secured Apache Kafka (SASL_SSL with SCRAM, a CA made here, ACLs enforced): topics and ACLs applied with the
`leadrelay` command, the six services signed in with their own credentials hand a lead off; a wrong password
or an untrusted certificate stops a service at start naming the setting; the broker refuses a service writing a
topic it does not own."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.devkit.infra.kafka import KafkaServer, kafka_runnable
from leadrelay.devkit.infra.kafka_security import SecuredListener
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.kafka.access import BrokerAccessRefused, check_access
from leadrelay.settings import KafkaSettings

from .conftest import API_KEY, HANDOFF_QUEUES, running_system

pytestmark = pytest.mark.system

HOT = {
    "email": "secured@example.com",
    "name": "Sasl Ssl",
    "company": "Secure Works",
    "company_size": "1000+",
    "source": "referral",
    "message": "Can we see a demo this week?",
}


def settings_for(security: SecuredListener, broker: KafkaServer, user: str, **extra: object) -> KafkaSettings:
    env = security.client_env(user)
    fields = {name.removeprefix("LEADRELAY_KAFKA_").lower(): value for name, value in env.items()}
    return KafkaSettings(bootstrap_servers=broker.bootstrap_servers, **fields, **extra)  # type: ignore[arg-type]


async def leadrelay(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "leadrelay.cli", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


@pytest.fixture
async def secured(tmp_path: Path):
    if not kafka_runnable():
        if os.environ.get("CI") == "true":
            pytest.fail("the secured cluster needs Java 17+ and Maven, which CI has")
        pytest.skip("the secured cluster needs Apache Kafka: Java 17+ and Maven (mvn) on PATH")
    users = {s.name: secrets.token_urlsafe(12) for s in SERVICES}
    security = SecuredListener(tmp_path / "tls", users=users)
    broker = await asyncio.to_thread(KafkaServer(tmp_path, security=security).start)
    try:
        yield security, broker
    finally:
        await asyncio.to_thread(broker.stop)


async def test_services_with_their_own_credentials_hand_a_lead_off_and_the_broker_enforces_ownership(
    secured, infra, unique, tmp_path
):
    security, broker = secured
    prefix = f"sec{unique}."
    single_node = {
        "LEADRELAY_KAFKA_TOPIC_PREFIX": prefix,
        "LEADRELAY_KAFKA_REPLICATION_FACTOR": "1",
        "LEADRELAY_KAFKA_MIN_INSYNC_REPLICAS": "1",
        "LEADRELAY_KAFKA_CREATE_TOPICS": "false",
    }
    admin_env = {
        **os.environ,
        **single_node,
        **security.client_env(security.admin),
        "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
    }

    # An operator applies the declared topics and ACLs, as the admin principal.
    queues = [arg for q in HANDOFF_QUEUES for arg in ("--queue", q)]
    status, shown = await leadrelay(admin_env, "acls", "plan")
    assert status == 2 and f"missing allow User:capture WRITE on topic {prefix}leads.erased" in shown, shown
    for command in (["topics", "apply", *queues], ["acls", "apply"]):
        status, shown = await leadrelay(admin_env, *command)
        assert status == 0, shown
    status, shown = await leadrelay(admin_env, "acls", "plan")
    assert status == 0 and shown.startswith("0 of ") and shown.endswith(" declared ACL(s) missing\n"), shown

    # A wrong password, or a CA that does not trust the broker, stops a service at start naming the setting.
    wrong = ServiceProcess(
        SERVICES[0],
        service_env(
            broker.bootstrap_servers,
            infra.postgres_dsn,
            **single_node,
            **security.client_env("capture")
            | {
                "LEADRELAY_KAFKA_SASL_PASSWORD": "not-the-password",
                "LEADRELAY_CAPTURE_DATABASE": f"lrt_sec_wrong_{unique}",
            },
        ),
        tmp_path / "wrong",
        port=free_port(),
    )
    wrong.start()
    try:
        await wait_until(lambda: asyncio.to_thread(lambda: not wrong.alive()), 60, what="capture to exit")
        assert wrong.process is not None and wrong.process.returncode != 0
        assert (
            "capture cannot start" in wrong.log_tail() and "LEADRELAY_KAFKA_SASL_PASSWORD" in wrong.log_tail()
        )
    finally:
        wrong.stop()
        await drop_database(infra.postgres_dsn, f"lrt_sec_wrong_{unique}")
    untrusting = settings_for(security, broker, "capture").model_copy(update={"ssl_cafile": None})
    with pytest.raises(BrokerAccessRefused, match="LEADRELAY_KAFKA_SSL_CAFILE=the system's CAs"):
        await check_access(untrusting)

    # The six services, each signed in as itself, hand a lead off.
    own_env = {s.name: {**single_node, **security.client_env(s.name)} for s in SERVICES}
    own_env["routing"] |= security.client_env("routing", "SCRAM-SHA-256")  # both SCRAM mechanisms in use
    admin = settings_for(security, broker, security.admin, topic_prefix=prefix)
    async with running_system(
        broker.bootstrap_servers, infra.postgres_dsn, unique, tmp_path, own_env, prefix
    ) as system:
        options = {k: v for k, v in admin.client_options().items() if k != "bootstrap_servers"}
        async with TopicReader(broker.bootstrap_servers, admin.topics.qualified, **options) as reader:
            async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": API_KEY}) as http:
                posted = await http.post(system.url("capture") + "/v1/leads", json=HOT)
            assert posted.status_code == 202, posted.text
            [handoff] = await reader.wait_for(1, timeout_s=60)
        assert handoff.json()["data"]["lead_id"] == posted.json()["lead_id"]

    # Scoring may not write what capture owns.
    scoring = settings_for(security, broker, "scoring", topic_prefix=prefix)
    producer = AIOKafkaProducer(**scoring.client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(producer.send_and_wait(scoring.topics.erased, b"{}"), 30)
    finally:
        await producer.stop()
