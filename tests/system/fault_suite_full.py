"""The full fault run (`make test-faults`): 50 leads/s for two minutes on a private broker and PostgreSQL
while every service dies at a fault point, six more SIGKILLs land at random, PostgreSQL restarts, the
broker is frozen with SIGSTOP for 30 s, and extra scoring and routing replicas join and leave every 10 s.
Exits non-zero unless the checker finds 0 lost, 0 duplicates, 0 inversions; --write puts the figures in
docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from leadrelay.devkit.infra.kafka import KafkaCluster
from leadrelay.devkit.infra.postgres import EmbeddedPostgres
from leadrelay.devkit.infra.resolve import local_broker
from leadrelay.devkit.testing.faultsuite import FaultPlan, FaultRun, run_fault_suite

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from doc_sections import write_section

FULL = FaultPlan(
    rate=50,
    seconds=120,
    fault_points={
        "capture": "after_commit_before_publish:200",
        "scoring": "after_publish_before_mark:100",
        "routing": "after_handle_before_commit:40",
        "sla-monitor": "after_handle_before_commit:100",
        "metrics": "after_handle_before_commit:100",
        "delivery": "after_handle_before_commit:40",
    },
    random_kills=6,
    first_contact_minutes=1.0,
    postgres_restart_at=35,
    broker_pause=(60, 30),
    rebalance_every_s=10,
    retry_for_s=120,
    settle_s=240,
)


# On three Apache Kafka brokers: the same load and service faults, with the leaders of leads.captured and
# leads.scored SIGKILLed instead of the single broker frozen, then every broker restarted in turn.
CLUSTER = replace(
    FULL,
    broker_pause=None,
    leader_kills=(("leads.captured", 30, 10), ("leads.scored", 50, 10)),
    rolling_restart_at=75,
)


async def run(workdir: Path, on_cluster: bool) -> FaultRun:
    """The full plan on a private broker (or three) and PostgreSQL."""
    broker = KafkaCluster(workdir / "cluster") if on_cluster else local_broker(workdir / "broker")
    broker.start()
    os.environ.update(broker.client_profile)  # a cluster's topics get three copies, two in sync
    postgres = EmbeddedPostgres(workdir / "postgres").start()
    faults = {"cluster": broker} if isinstance(broker, KafkaCluster) else {"broker": broker}
    try:
        return await run_fault_suite(
            CLUSTER if on_cluster else FULL,
            workdir,
            broker.bootstrap_servers,
            postgres.dsn,
            postgres=postgres,
            **faults,  # type: ignore[arg-type]
        )
    finally:
        broker.stop()
        postgres.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--cluster", action="store_true", help="on three Apache Kafka brokers")
    args = parser.parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="lr-faults-"))
    broker_kind = "three Apache Kafka brokers" if args.cluster else local_broker(workdir / "broker").kind
    result = asyncio.run(run(workdir, args.cluster))
    print(result.describe())
    verdict = "passed" if result.ok else "FAILED"
    print(f"full fault run {verdict} in {time.monotonic() - started:.0f} s")
    if args.write:
        write_doc(result, verdict, cluster_run_text() if args.cluster else full_run_text(broker_kind))
    return 0 if result.ok else 1


def full_run_text(broker_kind: str) -> tuple[str, str]:
    """The section name and opening of the full run on one broker."""
    return (
        "fault-suite",
        f"""## Whole system: the full fault run

`tests/system/fault_suite_full.py` (`make test-faults`; {time.strftime("%Y-%m-%d")}, same machine, a private
broker ({broker_kind}) and PostgreSQL). {FULL.rate:.0f} leads/s for {FULL.seconds:.0f} s, each request retried with
its Idempotency-Key while capture is down; every service dies once at a fault point, {FULL.random_kills} more
SIGKILLs at random, PostgreSQL restarted, the broker frozen for {FULL.broker_pause[1] if FULL.broker_pause else 0:.0f} s,
extra scoring and routing replicas joining and leaving every {FULL.rebalance_every_s:.0f} s. The checker then
reads every lead topic and the capture and routing databases.""",
    )


def cluster_run_text() -> tuple[str, str]:
    """The section name and opening of the full run on three brokers."""
    return (
        "fault-suite-cluster",
        f"""## Whole system on three Apache Kafka brokers: the full fault run

`tests/system/fault_suite_full.py --cluster` ({time.strftime("%Y-%m-%d")}, same machine): three Apache Kafka nodes
(KRaft, each broker and controller), every topic with replication factor 3 and `min.insync.replicas=2`, a private
PostgreSQL. The load and the service faults of the full run above ({CLUSTER.rate:.0f} leads/s for
{CLUSTER.seconds:.0f} s, every service dying at a fault point, {CLUSTER.random_kills} SIGKILLs at random, PostgreSQL
restarted, replicas joining and leaving); instead of a frozen broker, the broker leading `leads.captured`'s
partition 0 is SIGKILLed at {CLUSTER.leader_kills[0][1]:.0f} s and started {CLUSTER.leader_kills[0][2]:.0f} s later, then the
one leading `leads.scored`'s at {CLUSTER.leader_kills[1][1]:.0f} s, then from {CLUSTER.rolling_restart_at:.0f} s every broker is restarted in turn, each
once every partition is in sync again.""",
    )


def write_doc(result: FaultRun, verdict: str, opening: tuple[str, str]) -> None:
    """Write the run's section: its opening, then what the checker found, the deaths and the timeline."""
    section, text = opening
    r = result.report
    kills = "\n".join(f"- {service}: {', '.join(why)}" for service, why in sorted(result.kills.items()))
    timeline = "\n".join(f"    {line}" for line in result.timeline)
    write_section(
        section,
        f"""{text}

| accepted (2xx) | captured | scored | handed off | lost | duplicate side effects | order inversions | verdict |
|---|---|---|---|---|---|---|---|
| {r.accepted:,} | {r.captured:,} | {r.scored:,} | {r.handed_off:,} | {sum(map(len, r.lost.values()))} | {sum(map(len, r.duplicates.values()))} | {len(r.inversions)} | **{verdict}** |

Load: {result.load.sent:,} sent, {len(result.load.accepted):,} acknowledged, {result.load.retried:,} retries,
{result.load.failed} never acknowledged; the last accepted lead was handed off {result.drained_s:.0f} s after the
load stopped. {result.report.breached:,} first-contact deadlines ({FULL.first_contact_minutes:g} minute for every lead in
this run, so that breaches happen under the faults too) breached and were escalated, each once; {len(r.early_breaches)} of
them sooner after the handoff than that minute. Process deaths:

{kills}

Timeline (seconds after the load started):

{timeline}
""",
    )


if __name__ == "__main__":
    sys.exit(main())
