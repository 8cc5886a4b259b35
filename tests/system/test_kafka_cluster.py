"""Three Apache Kafka brokers (replication factor 3, min.insync.replicas 2) under the fault suite's fixed-rate
load: the leader of leads.captured's partition and then of leads.scored's is SIGKILLed and started again, then
every broker is restarted in turn; the checker finds 0 lost, 0 duplicate handoffs, 0 inversions. The full run
is `tests/system/fault_suite_full.py --cluster`."""

from __future__ import annotations

import asyncio
import os

import pytest

from leadrelay.devkit.infra.kafka import KafkaCluster, kafka_runnable
from leadrelay.devkit.testing.faultsuite import FaultPlan, run_fault_suite

pytestmark = pytest.mark.system

SHORT = FaultPlan(
    rate=20,
    seconds=60,
    fault_points={},
    leader_kills=(("leads.captured", 3, 2), ("leads.scored", 12, 2)),
    rolling_restart_at=21,  # a node takes about 5 s to start and some more to catch up: done near the end
    retry_for_s=60,
    settle_s=120,
)


@pytest.fixture
async def cluster(tmp_path, monkeypatch):
    if not kafka_runnable():
        if os.environ.get("CI") == "true":
            pytest.fail("the three-broker cluster needs Java 17+ and Maven, which CI has")
        pytest.skip("the three-broker cluster needs Apache Kafka: Java 17+ and Maven (mvn) on PATH")
    started = await asyncio.to_thread(KafkaCluster(tmp_path / "cluster").start)
    for name, value in started.client_profile.items():  # three copies, two in sync, for every topic
        monkeypatch.setenv(name, value)
    try:
        yield started
    finally:
        await asyncio.to_thread(started.stop)


@pytest.mark.timeout(600)
async def test_leaders_killed_and_brokers_restarted_lose_and_duplicate_nothing(cluster, infra, tmp_path):
    run = await run_fault_suite(
        SHORT, tmp_path, cluster.bootstrap_servers, infra.postgres_dsn, cluster=cluster
    )
    print("\n" + run.describe())
    assert sum("SIGKILL broker" in line for line in run.timeline) == 2
    assert sum("restarting" in line for line in run.timeline) == 3
    assert any("every partition in sync" in line for line in run.timeline)
    assert run.report.accepted >= SHORT.rate * SHORT.seconds * 0.95, "most leads must be acknowledged"
    assert run.ok, run.describe()
