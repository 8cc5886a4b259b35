"""The fault suite: leads posted at a fixed rate into the six services while processes are killed at chosen
points and at random, PostgreSQL restarts, the broker freezes and consumers come and go; then the checker
accounts for every accepted lead, and for every handoff's webhook at a receiver subscribed to them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import yaml
from sqlalchemy.engine import make_url

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, ServiceProcess, Stack, service_env
from leadrelay.devkit.infra.broker import EmbeddedBroker
from leadrelay.devkit.infra.kafka import KafkaCluster, KafkaServer
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.infra.postgres import EmbeddedPostgres
from leadrelay.devkit.testing.checker import Observations, Report, check, collect
from leadrelay.devkit.testing.load import LoadResult, post_leads
from leadrelay.devkit.testing.receiver import Receiver
from leadrelay.events import Topics
from leadrelay.events.handoff import LeadQualified
from leadrelay.kafka.admin import admin_client, ensure_topics
from leadrelay.settings import KafkaSettings

API_KEY = "fault-suite-api-key-0123456789"
ADMIN_KEY = "fault-suite-admin-key-0123456789"


@dataclass
class FaultPlan:
    """Which faults, when, and at what load. Times are seconds after the load starts."""

    rate: float
    seconds: float
    # service -> "point:N": its first process dies the Nth time it reaches the point (leadrelay.faults)
    fault_points: dict[str, str]
    random_kills: int = 0
    postgres_restart_at: float | None = None  # needs a private PostgreSQL
    broker_pause: tuple[float, float] | None = None  # (at, for how long); needs a private broker
    rebalance_every_s: float = 0.0  # start or stop an extra scoring and routing replica this often
    # On a cluster: (logical topic, at, down for) SIGKILLs the broker leading the topic's partition 0, and starts
    # it again after so long (the next waits until every partition has all its replicas in sync again) ...
    leader_kills: tuple[tuple[str, float, float], ...] = ()
    # ... and from this moment every broker is restarted in turn, each once the cluster is in sync.
    rolling_restart_at: float | None = None
    # Every first-contact deadline (all grades, all queues) in minutes, so breaches and escalations happen
    # during the run; None keeps the SLA monitor's own policies.
    first_contact_minutes: float | None = None
    settle_s: float = 90.0
    retry_for_s: float = 30.0
    seed: int = 7


def short_deadlines(path: Path, minutes: float) -> Path:
    """Write SLA policies giving every queue's leads `minutes` to first contact, around the clock."""
    deadlines = dict.fromkeys("ABCD", minutes)
    policies = [
        {"name": name, "clock": "wall_clock", "deadlines": deadlines}
        for name in ("enterprise-first-contact", "smb-first-contact", "escalation")
    ]
    path.write_text(yaml.safe_dump({"version": f"fault-run-{minutes}", "policies": policies}))
    return path


@dataclass
class FaultRun:
    """The checker's report, the load's figures and what was done to the system."""

    report: Report
    load: LoadResult
    kills: dict[str, list[str]] = field(default_factory=dict)  # service -> why each process died
    timeline: list[str] = field(default_factory=list)
    drained_s: float = 0.0
    missed_faults: list[str] = field(default_factory=list)  # planned fault points never reached

    @property
    def ok(self) -> bool:
        """The checker passed and every planned fault happened (a fault never reached proves nothing)."""
        return self.report.ok and not self.missed_faults

    def describe(self) -> str:
        """A few lines for the test log and docs/benchmarks.md."""
        kills = ", ".join(f"{s}: {', '.join(why)}" for s, why in sorted(self.kills.items()))
        return (
            f"{self.report.summary()}\n"
            f"load: sent {self.load.sent}, acknowledged {len(self.load.accepted)}, retried {self.load.retried}, "
            f"never acknowledged {self.load.failed}; drained {self.drained_s:.1f} s after the load\n"
            f"kills: {kills}\n"
            + (f"fault points never reached: {', '.join(self.missed_faults)}\n" if self.missed_faults else "")
            + f"timeline: {'; '.join(self.timeline)}"
        )


class Supervisor:
    """Restarts any service process that died, recording why (its fault point, or a kill of ours)."""

    def __init__(self, services: dict[str, ServiceProcess], note: Callable[[str], None]) -> None:
        self.services = services
        self._note = note
        self.kills: dict[str, list[str]] = {}
        self._cause: dict[str, str] = {}

    def kill(self, name: str, why: str) -> None:
        """SIGKILL a service now; the supervisor brings it back."""
        self._cause[name] = why
        self.services[name].kill()

    async def run(self, stop: asyncio.Event) -> None:
        """Watch every 0.1 s until stopped."""
        while not stop.is_set():
            for name, service in self.services.items():
                if not service.alive():
                    why = self._cause.pop(name, None)
                    if why is None:  # it died by itself: its fault point fired (later lives run clean)
                        point = service.env.pop("LEADRELAY_FAULT_POINT", None)
                        why = f"fault point {point}" if point else "exited by itself"

                    self.kills.setdefault(name, []).append(why)
                    self._note(f"{name} died ({why}), restarted")
                    service.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)


def _database_dsn(dsn: str, database: str) -> str:
    return make_url(dsn).set(database=database).render_as_string(hide_password=False)


async def _read_databases(dsn: str, databases: dict[str, str]) -> tuple[set[str], dict[str, tuple[str, int]]]:
    capture = await asyncpg.connect(_database_dsn(dsn, databases["capture"]))
    try:
        leads = {row["id"] for row in await capture.fetch("SELECT id FROM leads")}
    finally:
        await capture.close()
    routing = await asyncpg.connect(_database_dsn(dsn, databases["routing"]))
    try:
        rows = await routing.fetch("SELECT handoff_id, lead_id, attempt FROM handoffs")
    finally:
        await routing.close()
    return leads, {r["handoff_id"]: (r["lead_id"], r["attempt"]) for r in rows}


async def run_fault_suite(
    plan: FaultPlan,
    workdir: Path,
    bootstrap_servers: str,
    postgres_dsn: str,
    *,
    broker: EmbeddedBroker | KafkaServer | None = None,
    cluster: KafkaCluster | None = None,
    postgres: EmbeddedPostgres | None = None,
    log: Callable[[str], None] = print,
) -> FaultRun:
    """Start the six services, inject the plan's faults under load, drain, and check."""
    if plan.postgres_restart_at is not None and postgres is None:
        raise ValueError("a PostgreSQL restart needs a private PostgreSQL")
    if plan.broker_pause is not None and broker is None:
        raise ValueError("pausing the broker needs a private broker")
    if (plan.leader_kills or plan.rolling_restart_at is not None) and cluster is None:
        raise ValueError("killing partition leaders needs a private cluster")
    unique = f"{random.Random(plan.seed).getrandbits(16):04x}{int(time.time() * 1000) % 10**6}"
    kafka = KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=f"f{unique}.")
    topic_names = [
        *kafka.topics.all_with_dlq(),
        *(kafka.topics.handoff(q) for q in ("enterprise", "smb", "leadership")),
    ]
    await ensure_topics(kafka, topic_names)
    databases = {s.name: f"lrt_fault_{s.name.replace('-', '_')}_{unique}" for s in SERVICES}
    env = service_env(
        bootstrap_servers,
        postgres_dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=kafka.topic_prefix,
        LEADRELAY_KAFKA_SESSION_TIMEOUT_MS="3000",
        LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        LEADRELAY_CAPTURE_API_KEYS=API_KEY,
        LEADRELAY_DELIVERY_ADMIN_KEYS=ADMIN_KEY,
        LEADRELAY_DELIVERY_ALLOWED_TARGETS="127.0.0.1",  # the suite's webhook receiver
        LEADRELAY_DELIVERY_DISPATCH_INTERVAL_S="0.2",
        LEADRELAY_CAPTURE_RATE_LIMIT_PER_BACKEND_KEY="100000000/minute",
        **{f"{s.env_prefix}DATABASE": databases[s.name] for s in SERVICES},
        **{f"{s.env_prefix}OUTBOX_POLL_INTERVAL_S": "0.2" for s in SERVICES},
        **{f"{s.env_prefix}LOG_LEVEL": "WARNING" for s in SERVICES},
    )
    if plan.first_contact_minutes is not None:
        env["LEADRELAY_SLA_MONITOR_POLICIES_PATH"] = str(
            short_deadlines(workdir / "sla-policies.yaml", plan.first_contact_minutes)
        )
    stack = Stack(env, workdir / "logs", {s.name: free_port() for s in SERVICES})
    rng = random.Random(plan.seed)
    timeline: list[str] = []
    begin = time.monotonic()

    def note(what: str) -> None:
        line = f"{time.monotonic() - begin:5.1f}s {what}"
        timeline.append(line)
        log(line)

    extras: list[ServiceProcess] = []
    stop = asyncio.Event()
    receiver = Receiver()
    await receiver.__aenter__()
    try:
        for name, point in plan.fault_points.items():
            stack[name].env["LEADRELAY_FAULT_POINT"] = point  # the first life dies there; restarts are clean
        await asyncio.to_thread(stack.start, 120.0)
        await subscribe(stack["delivery"].url, receiver.url)
        supervisor = Supervisor(stack.services, note)
        watching = asyncio.create_task(supervisor.run(stop))
        begin = time.monotonic()

        async def at(second: float) -> None:
            await asyncio.sleep(max(0.0, begin + second - time.monotonic()))

        async def random_kills() -> None:
            moments = sorted(rng.uniform(3, max(4.0, plan.seconds - 3)) for _ in range(plan.random_kills))
            victims: list[str] = []
            for moment in moments:
                await at(moment)
                if not victims:  # each service once, in random order, before any twice
                    victims = rng.sample([s.name for s in SERVICES], len(SERVICES))
                # a service still on its way to its fault point is killed last: a kill would reset its count
                waiting = [v for v in victims if "LEADRELAY_FAULT_POINT" in stack[v].env]
                ready = [v for v in victims if v not in waiting]
                name = (ready or waiting)[-1]
                victims.remove(name)
                note(f"SIGKILL {name}")
                await asyncio.to_thread(supervisor.kill, name, "SIGKILL at random")

        async def restart_postgres() -> None:
            assert postgres is not None and plan.postgres_restart_at is not None
            await at(plan.postgres_restart_at)
            note("PostgreSQL stopped")
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(3)
            await asyncio.to_thread(postgres.start)
            note("PostgreSQL started")

        async def pause_broker() -> None:
            assert broker is not None and plan.broker_pause is not None
            moment, length = plan.broker_pause
            await at(moment)
            note(f"broker SIGSTOP for {length:.0f} s")
            broker.pause()
            await asyncio.sleep(length)
            broker.resume()
            note("broker SIGCONT")

        async def break_brokers() -> None:
            assert cluster is not None
            for topic, moment, down_for in plan.leader_kills:
                await at(moment)
                await until_in_sync(kafka, topic_names)
                leader = await leader_of(kafka, kafka.topics.name(topic))
                note(f"SIGKILL broker {leader}, leader of {topic}[0]")
                cluster.nodes[leader].kill()
                await asyncio.sleep(down_for)
                await asyncio.to_thread(cluster.restart, leader)
                note(f"broker {leader} started again")
            if plan.rolling_restart_at is not None:
                await at(plan.rolling_restart_at)
                for node_id, node in cluster.nodes.items():
                    await until_in_sync(kafka, topic_names)
                    note(f"broker {node_id} restarting")
                    await asyncio.to_thread(node.stop)
                    await asyncio.to_thread(cluster.restart, node_id)
                note("every broker restarted")
            await until_in_sync(kafka, topic_names)
            note("every partition in sync")

        async def rebalance() -> None:
            specs = [s for s in SERVICES if s.name in ("scoring", "routing")]
            moment = plan.rebalance_every_s
            while moment < plan.seconds:
                await at(moment)
                if extras:
                    note("extra scoring and routing replicas stopped")
                    await asyncio.gather(*(asyncio.to_thread(p.stop) for p in extras))
                    extras.clear()
                else:
                    note("extra scoring and routing replicas started")
                    for spec in specs:
                        extra = ServiceProcess(spec, env, workdir / "logs" / "extra", port=free_port())
                        extra.start()
                        extras.append(extra)
                moment += plan.rebalance_every_s

        faults = [asyncio.create_task(random_kills())]
        if plan.postgres_restart_at is not None:
            faults.append(asyncio.create_task(restart_postgres()))
        if plan.broker_pause is not None:
            faults.append(asyncio.create_task(pause_broker()))
        if plan.rebalance_every_s:
            faults.append(asyncio.create_task(rebalance()))
        if plan.leader_kills or plan.rolling_restart_at is not None:
            faults.append(asyncio.create_task(break_brokers()))
        note(f"load: {plan.rate:.0f} leads/s for {plan.seconds:.0f} s")
        load = await post_leads(
            stack["capture"].url, API_KEY, plan.rate, plan.seconds, retry_for_s=plan.retry_for_s
        )
        note(f"load done: {len(load.accepted)} acknowledged")
        await asyncio.gather(*faults)
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in extras))
        extras.clear()
        drain_started = time.monotonic()
        deadline = drain_started + plan.settle_s
        report = check(await observe(bootstrap_servers, kafka.topics, set(load.accepted), receiver))
        while not _drained(report) and time.monotonic() < deadline:
            await asyncio.sleep(2)
            report = check(await observe(bootstrap_servers, kafka.topics, set(load.accepted), receiver))
        drained = time.monotonic() - drain_started
        await asyncio.sleep(3)  # late duplicates, if any, would land now
        observations = await observe(bootstrap_servers, kafka.topics, set(load.accepted), receiver)
        if plan.first_contact_minutes is not None:
            observations.first_contact_s = plan.first_contact_minutes * 60
        observations.capture_db_leads, observations.routing_db_handoffs = await _read_databases(
            postgres.dsn if postgres else postgres_dsn, databases
        )
        stop.set()
        await watching
        missed = [
            f"{service} {point}"
            for service, point in plan.fault_points.items()
            if f"fault point {point}" not in supervisor.kills.get(service, [])
        ]
        return FaultRun(check(observations), load, supervisor.kills, timeline, drained, missed)
    finally:
        await receiver.__aexit__()
        stop.set()
        for extra in extras:
            await asyncio.to_thread(extra.stop)
        await asyncio.to_thread(stack.stop)
        if not os.environ.get("LEADRELAY_FAULT_SUITE_KEEP"):  # keep them to investigate a failure
            await _drop(postgres.dsn if postgres else postgres_dsn, databases.values())
        else:
            log(f"kept databases {sorted(databases.values())} and topics {kafka.topic_prefix}*")


async def subscribe(delivery_url: str, receiver_url: str) -> None:
    """Subscribe the suite's receiver to every handoff, so deliveries are checked like the topics."""
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": ADMIN_KEY}) as http:
        answer = await http.post(
            f"{delivery_url}/v1/subscriptions",
            json={
                "name": "fault-suite",
                "target": {"type": "webhook", "url": receiver_url},
                "events": [LeadQualified.EVENT_TYPE],
            },
        )
    answer.raise_for_status()


async def observe(
    bootstrap_servers: str, topics: Topics, accepted: set[str], receiver: Receiver
) -> Observations:
    """What the topics hold, and the webhooks the receiver got."""
    observations = await collect(bootstrap_servers, topics, accepted)
    observations.webhooks = [
        (r.headers["webhook-id"], json.loads(r.body)["id"]) for r in list(receiver.received)
    ]
    return observations


def _drained(report: Report) -> bool:
    return report.handed_off >= report.accepted and not report.lost.get("handoff_not_delivered")


async def leader_of(kafka: KafkaSettings, topic: str, partition: int = 0) -> int:
    """Return the node id of the broker leading one partition of a topic."""
    async with admin_client(kafka) as admin:
        [described] = await admin.describe_topics([topic])
    return int(next(p["leader"] for p in described["partitions"] if p["partition"] == partition))


async def until_in_sync(kafka: KafkaSettings, topics: list[str], deadline_s: float = 180.0) -> None:
    """Wait until every partition of the topics has a leader and all its replicas in sync."""
    deadline = time.monotonic() + deadline_s
    while True:
        with contextlib.suppress(Exception):  # a broker just killed may still be in the metadata
            async with admin_client(kafka) as admin:
                described = await admin.describe_topics(topics)
            partitions = [p for t in described for p in t["partitions"]]
            if partitions and all(
                p["leader"] >= 0 and set(p["isr"]) == set(p["replicas"]) for p in partitions
            ):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"partitions not back in sync after {deadline_s:.0f} s")
        await asyncio.sleep(0.5)


async def _drop(dsn: str, names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(Exception):
            await drop_database(dsn, name)
