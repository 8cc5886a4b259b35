"""The six services as separate processes on the real broker and PostgreSQL, private to one test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, Stack, email_env, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.mailbox import Mailbox
from leadrelay.kafka.admin import ensure_topics
from leadrelay.routing.settings import SEED_CONFIG
from leadrelay.settings import KafkaSettings
from leadrelay.sla_monitor.settings import DEFAULT_POLICIES

SLA_SECONDS = 4.0
HANDOFF_QUEUES = ("enterprise", "smb", "leadership")  # the seed configuration's queues
API_KEY = "system-test-api-key-0123"
VIEWER_KEY = "system-test-viewer-key-0123"
SALES_KEY = "system-test-sales-key-0123"
DEMO_FORM_KEY = "pk_system_test_demo_0123"
ADMIN_KEY = "system-test-admin-key-0123"
LINK_SECRET = "system-test-link-secret-0123456789abcdef"
VIEWER = {"X-API-Key": VIEWER_KEY}
SALES = {"X-API-Key": SALES_KEY}


@dataclass
class RunningStack:
    stack: Stack
    kafka: KafkaSettings
    mailbox: Mailbox  # where delivery's emails land

    def url(self, service: str) -> str:
        return self.stack[service].url


def sla_policies(path: Path) -> Path:
    """The SLA monitor's default policies with first-contact deadlines of a few seconds."""
    policies = yaml.safe_load(DEFAULT_POLICIES.read_text())
    for policy in policies["policies"]:
        policy["deadlines"] = dict.fromkeys("ABCD", SLA_SECONDS / 60)
    path.write_text(yaml.safe_dump(policies))
    return path


def routing_config(path: Path) -> Path:
    """The seed configuration with a rule on head counts."""
    config = yaml.safe_load(SEED_CONFIG.read_text())
    head_count = {
        "name": "head-count",
        "when": {"lead.company.employees": {"gte": 800}},
        "queue": "enterprise",
    }
    config["rules"].insert(0, head_count)
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
async def system(infra, unique, tmp_path) -> AsyncIterator[RunningStack]:
    async with running_system(infra.bootstrap_servers, infra.postgres_dsn, unique, tmp_path) as running:
        yield running


@pytest.fixture
def system_on(
    infra, unique, tmp_path
) -> Callable[[str], contextlib.AbstractAsyncContextManager[RunningStack]]:
    """Start the six services on another broker (at the bootstrap servers given) and this run's PostgreSQL."""
    return lambda bootstrap_servers: running_system(bootstrap_servers, infra.postgres_dsn, unique, tmp_path)


@contextlib.asynccontextmanager
async def running_system(
    bootstrap_servers: str,
    postgres_dsn: str,
    unique: str,
    tmp_path: Path,
    own_env: dict[str, dict[str, str]] | None = None,
    prefix: str | None = None,
) -> AsyncIterator[RunningStack]:
    """The six services on this broker and PostgreSQL server, with topics and databases of their own; with
    own_env (each service's credentials, say) the topics are expected to be there already."""
    prefix = prefix or f"s{unique}."
    kafka = KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=prefix)
    if own_env is None:
        handoffs = [kafka.topics.handoff(q) for q in HANDOFF_QUEUES]
        await ensure_topics(kafka, [*kafka.topics.all_with_dlq(), *handoffs])
    databases = {s.name: f"lrt_sys_{s.name.replace('-', '_')}_{unique}" for s in SERVICES}
    extra = {
        "LEADRELAY_KAFKA_TOPIC_PREFIX": prefix,
        "LEADRELAY_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "LEADRELAY_ROUTING_CONFIG_PATH": str(routing_config(tmp_path / "routing.yaml")),
        "LEADRELAY_SLA_MONITOR_BREACH_POLL_INTERVAL_S": "0.1",
        "LEADRELAY_SLA_MONITOR_POLICIES_PATH": str(sla_policies(tmp_path / "policies.yaml")),
        "LEADRELAY_CAPTURE_API_KEYS": API_KEY,
        "LEADRELAY_CAPTURE_DEMO": "true",
        "LEADRELAY_CAPTURE_DEMO_FORM_KEY": DEMO_FORM_KEY,
        "LEADRELAY_CAPTURE_CONSENT_SECRET": "system-test-consent-secret-0123456789abcdef",
        "LEADRELAY_DELIVERY_ALLOWED_TARGETS": "127.0.0.1",  # the tests' webhook receivers
        "LEADRELAY_DELIVERY_DISPATCH_INTERVAL_S": "0.1",
    }
    for spec in SERVICES:
        extra[f"{spec.env_prefix}VIEWER_KEYS"] = VIEWER_KEY
        extra[f"{spec.env_prefix}SALES_KEYS"] = SALES_KEY
        extra[f"{spec.env_prefix}ADMIN_KEYS"] = ADMIN_KEY
        extra[f"{spec.env_prefix}DATABASE"] = databases[spec.name]
        extra[f"{spec.env_prefix}OUTBOX_POLL_INTERVAL_S"] = "0.2"
    ports = {s.name: free_port() for s in SERVICES}
    with Mailbox() as mailbox:
        extra.update(email_env(mailbox.port, ports))
        extra["LEADRELAY_DELIVERY_LINK_SECRET"] = LINK_SECRET
        extra["LEADRELAY_DELIVERY_SALES_KEY"] = SALES_KEY
        env = service_env(bootstrap_servers, postgres_dsn, **extra)
        stack = Stack(env, tmp_path / "logs", ports, own_env)
        try:
            await asyncio.to_thread(stack.start, 120.0)
            yield RunningStack(stack, kafka, mailbox)
        finally:
            await asyncio.to_thread(stack.stop)
            for name in databases.values():
                await drop_database(postgres_dsn, name)
