"""End to end on the real stack: the five services as processes, leads posted to capture at fixed rates,
capture-to-LeadQualified latency measured by a consumer of leads.qualified against each request's send time;
loss (accepted but never handed off), CPU and memory per process; and, in the same run, the broker's raw
produce-to-consume round trip as the floor.

Prints figures; with --write, updates the end-to-end section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from doc_sections import write_section
from proc_stats import cpu_of_command, cpu_seconds, rss_mib
from unit_costs import cross_process_round_trip, statement_costs
from wrk_leads import due_at, post_leads_with_wrk

from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, Stack, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.infra.resolve import resolve_infrastructure
from leadrelay.devkit.testing.checker import read_topic
from leadrelay.devkit.testing.metrics import sample_values
from leadrelay.kafka.admin import ensure_topics
from leadrelay.settings import KafkaSettings

API_KEY = "bench-e2e-api-key-0123456789"
ADMIN_KEY = "bench-e2e-admin-key-0123456789"
# Processes every service shares, by command name: their CPU counts too on a machine this small (the
# PostgreSQL figure includes any other database on the server, which is idle during the bench). The broker is
# one process of its own, measured by its pid.
SHARED_PROCESSES = {"postgres": "postgres"}
# Each hop of a lead, from one mark to the next: capture's request until LeadCaptured is made; an event made until
# its service's outbox relay hands it to the producer (the record's timestamp: the transaction's commit, the
# relay's wake-up and read); and that until the next service has made its event (the broker, the consumer's
# fetch, the handler until it makes its event) or the sales tool's consumer has the handoff.
HOPS = {
    "capture": "request to LeadCaptured",
    "capture's relay": "LeadCaptured made to published",
    "to scoring": "published to LeadScored made",
    "scoring's relay": "LeadScored made to published",
    "to routing": "published to LeadQualified made",
    "routing's relay": "LeadQualified made to published",
    "to the sales tool": "published to the sales tool's consumer",
}
# The step's leads in send order are cut into this many runs for the p99 of each (10 s each in a 60 s step).
PARTS = 6


@dataclass
class Step:
    """One fixed-rate step: what was sent, accepted and handed off, and how fast."""

    rate: int
    seconds: float
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lost: int = 0  # accepted, but no handoff seen within the drain time after the step
    cpu: dict[str, float] = field(default_factory=dict)
    rss_mib: dict[str, float] = field(default_factory=dict)
    lag: dict[str, float] = field(default_factory=dict)
    hops_ms: dict[str, float] = field(default_factory=dict)
    # p99 of each hop in the step's first and last sixth: where the growth within a step shows up
    hops_first_p99_ms: dict[str, float] = field(default_factory=dict)
    hops_last_p99_ms: dict[str, float] = field(default_factory=dict)
    answered_s: float = 0.0  # until capture had answered every request (longer than the step: it fell behind)

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def part_p99s(self, parts: int) -> list[float]:
        """p99 of each of `parts` equal runs of the leads in send order, so growth within the step shows."""
        return [
            float(np.percentile(part, 99)) if len(part) else float("nan")
            for part in np.array_split(np.asarray(self.latencies_ms), parts)
        ]

    def tenth_p50(self, first: bool) -> float:
        """Median latency of the first (or last) tenth of the leads, in send order."""
        tenth = max(1, len(self.latencies_ms) // 10)
        part = self.latencies_ms[:tenth] if first else self.latencies_ms[-tenth:]
        return float(np.median(part)) if part else float("nan")


async def collect(consumer: AIOKafkaConsumer, hops: Hops, stop: asyncio.Event) -> None:
    """Record when each lead's first LeadQualified arrives, and when it was made."""
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200)
        now = time.time()
        for records in batches.values():
            for record in records:
                event = json.loads(record.value)
                data = event["data"]
                if data.get("attempt", 1) == 1:
                    hops.seen.setdefault(data["lead_id"], now)
                    hops.qualified.setdefault(
                        data["lead_id"], datetime.fromisoformat(event["time"]).timestamp()
                    )
                    hops.qualified_out.setdefault(data["lead_id"], record.timestamp / 1000)
                    due = due_at(data["lead"]["contact"]["email"] or "")
                    if due is not None:
                        hops.due.setdefault(data["lead_id"], due)


async def read_marks(kafka: KafkaSettings, hops: Hops) -> None:
    """After the step: when each lead's LeadCaptured and LeadScored were made (the events' own times) and
    published (their records' timestamps)."""
    for topic, made, out in (
        (kafka.topics.captured, hops.captured, hops.captured_out),
        (kafka.topics.scored, hops.scored, hops.scored_out),
    ):
        for seen in await read_topic(kafka.bootstrap_servers, topic):
            made.setdefault(seen.lead_id, datetime.fromisoformat(seen.time).timestamp())
            if seen.published is not None:
                out.setdefault(seen.lead_id, seen.published)


@dataclass
class Hops:
    """Per lead: when it was due to be sent, when its LeadCaptured, LeadScored and LeadQualified were made and
    handed to a producer by their service's outbox relay (the record's timestamp), and when the handoff arrived."""

    due: dict[str, float] = field(default_factory=dict)
    captured: dict[str, float] = field(default_factory=dict)
    captured_out: dict[str, float] = field(default_factory=dict)
    scored: dict[str, float] = field(default_factory=dict)
    scored_out: dict[str, float] = field(default_factory=dict)
    qualified: dict[str, float] = field(default_factory=dict)
    qualified_out: dict[str, float] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)

    def times_ms(self, sent_at: dict[str, float]) -> dict[str, np.ndarray]:
        """Each hop's time per lead (ms), in send order, over the leads that made it through all of them."""
        marks = [
            sent_at,
            self.captured,
            self.captured_out,
            self.scored,
            self.scored_out,
            self.qualified,
            self.qualified_out,
            self.seen,
        ]
        leads = sorted((lead for lead in sent_at if all(lead in m for m in marks)), key=sent_at.__getitem__)
        if not leads:
            return {}
        names = list(HOPS)
        return {
            name: np.array([(marks[i + 1][lead] - marks[i][lead]) * 1000 for lead in leads])
            for i, name in enumerate(names)
        }


async def handoff_reader(kafka: KafkaSettings) -> AIOKafkaConsumer:
    """The sales tool's consumer of leads.qualified, from its end, taking each handoff as soon as it lands."""
    # It answers at the first byte, as the path consumers do, so a handoff's arrival is timed when it lands.
    consumer = AIOKafkaConsumer(
        kafka.topics.qualified,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
    )
    await consumer.start()
    await consumer.seek_to_end()
    return consumer


async def step(
    stack: Stack,
    kafka: KafkaSettings,
    rate: int,
    seconds: float,
    drain_s: float,
    workdir: Path,
    broker_pid: int | None = None,
) -> Step:
    result = Step(rate, seconds)
    # Only the handoffs' arrival times are read during the step; the other hops' times come from the events
    # themselves, read after it, so the generator adds no reader of its own to the broker's load.
    arrivals = await handoff_reader(kafka)
    hops = Hops()
    seen = hops.seen
    stop = asyncio.Event()
    collector = asyncio.create_task(collect(arrivals, hops, stop))
    pids = {name: s.process.pid for name, s in stack.services.items() if s.process}
    if broker_pid is not None:
        pids["broker"] = broker_pid
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    bench_cpu_before = time.process_time()
    shared_before = {name: cpu_of_command(prefix) for name, prefix in SHARED_PROCESSES.items()}
    peak = dict.fromkeys(pids, 0.0)

    async def sample() -> None:
        while not stop.is_set():
            for name, pid in pids.items():
                peak[name] = max(peak[name], rss_mib(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    load = await post_leads_with_wrk(stack["capture"].url, API_KEY, rate, seconds, workdir)
    result.answered_s, result.sent, result.failed = load.answered_s, load.sent, load.failed
    deadline = time.monotonic() + drain_s
    while time.monotonic() < deadline and not load.accepted <= seen.keys():  # noqa: ASYNC110 (the collector fills seen)
        await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.gather(collector, sampler)
    await arrivals.stop()
    result.accepted = len(load.accepted)
    # each accepted lead that was handed off, with the time it was due to be sent (carried in its email)
    sent_at = {lead: hops.due[lead] for lead in load.accepted if lead in hops.due}
    in_send_order = sorted(sent_at.items(), key=lambda item: item[1])
    result.latencies_ms = [(seen[lead] - at) * 1000 for lead, at in in_send_order]
    result.lost = len(load.accepted - seen.keys())
    result.cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / elapsed for name, pid in pids.items()}
    # wrk, and this process's consumer that times the handoffs
    result.cpu["load generator"] = (load.cpu_s + time.process_time() - bench_cpu_before) / elapsed
    for name, prefix in SHARED_PROCESSES.items():
        result.cpu[name] = (cpu_of_command(prefix) - shared_before[name]) / elapsed
    result.rss_mib = peak
    result.lag = await consumer_lag(stack)
    await read_marks(
        kafka, hops
    )  # after the CPU was measured: reading the topics is the bench's work, not the step's
    times = hops.times_ms(sent_at)
    result.hops_ms = {name: float(np.median(t)) for name, t in times.items()}
    # the leads of the step's first and last sixth, in send order
    result.hops_first_p99_ms = {
        n: float(np.percentile(np.array_split(t, PARTS)[0], 99)) for n, t in times.items()
    }
    result.hops_last_p99_ms = {
        n: float(np.percentile(np.array_split(t, PARTS)[-1], 99)) for n, t in times.items()
    }
    return result


async def consumer_lag(stack: Stack) -> dict[str, float]:
    """Each service's consumer lag right after the step (where a backlog builds up)."""
    lag = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for name, service in stack.services.items():
            text = (await http.get(f"{service.url}/metrics")).text
            lag[name] = sum(sample_values(text, "leadrelay_consumer_lag"))
    return lag


async def broker_floor(kafka: KafkaSettings, rate: int, seconds: float) -> list[float]:
    """Produce-to-consume round trips (ms) on a topic of its own, at the same rate."""
    topic = kafka.topics.name(f"bench.floor.{uuid.uuid4().hex[:6]}")
    await ensure_topics(kafka, [topic], 3)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    times: list[float] = []
    total = int(rate * seconds)
    stop = asyncio.Event()

    async def read() -> None:
        while len(times) < total and not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.time()
                times.extend((now - float(r.value)) * 1000 for r in records)

    reader = asyncio.create_task(read())
    begin = time.monotonic()
    for i in range(total):
        delay = begin + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send(topic, str(time.time()).encode(), key=str(i).encode())
    await producer.flush()
    try:
        await asyncio.wait_for(reader, 30)
    except TimeoutError:
        stop.set()
    await producer.stop()
    await consumer.stop()
    return times


@contextmanager
def fresh_stack(workdir: Path, tag: str) -> Iterator[tuple[Stack, KafkaSettings, int | None]]:
    """Start the five services on topics and databases of their own, warmed up; drop them all afterwards. Yields
    the stack, its Kafka settings and the pid of the broker when this run started one."""
    infra = resolve_infrastructure(workdir)
    broker_pid = infra.broker.process.pid if infra.broker and infra.broker.process else None
    unique = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(bootstrap_servers=infra.bootstrap_servers, topic_prefix=f"b{tag}{unique}.")
    queues = ("enterprise", "smb", "leadership")
    asyncio.run(
        ensure_topics(
            kafka,
            [*kafka.topics.all_with_dlq(), *(kafka.topics.handoff(q) for q in queues)],
        )
    )
    databases = {s.name: f"lrb_{tag}_{s.name.replace('-', '_')}_{unique}" for s in SERVICES}
    extra = {
        "LEADRELAY_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "LEADRELAY_CAPTURE_API_KEYS": API_KEY,
        "LEADRELAY_CAPTURE_RATE_LIMIT_PER_BACKEND_KEY": "100000000/minute",
        # delivery's bench subscribes a receiver on loopback, as an admin
        "LEADRELAY_DELIVERY_ADMIN_KEYS": ADMIN_KEY,
        "LEADRELAY_DELIVERY_ALLOWED_TARGETS": "127.0.0.1",
        **{f"{s.env_prefix}DATABASE": databases[s.name] for s in SERVICES},
        **{f"{s.env_prefix}LOG_LEVEL": "WARNING" for s in SERVICES},
    }
    stack = Stack(
        service_env(infra.bootstrap_servers, infra.postgres_dsn, **extra),
        workdir / f"logs-{unique}",
        {s.name: free_port() for s in SERVICES},
    )
    try:
        stack.start(120)
        asyncio.run(step(stack, kafka, 20, 5, 30, workdir))  # warm up: connections, caches, consumer groups
        yield stack, kafka, broker_pid
    finally:
        stack.stop()
        for name in databases.values():
            asyncio.run(drop_database(infra.postgres_dsn, name))
        infra.close()


def run_rate(rate: int, args: argparse.Namespace, workdir: Path) -> tuple[Step, list[float]]:
    """One rate on a fresh stack (its own topics and databases), so a backlog never carries over."""
    with fresh_stack(workdir, "e2e") as (stack, kafka, broker_pid):
        result = asyncio.run(step(stack, kafka, rate, args.seconds, args.drain, workdir, broker_pid))
        floor = asyncio.run(broker_floor(kafka, rate, min(args.seconds, 20)))
    print(
        f"{rate}/s: accepted {result.accepted}/{result.sent} in {result.answered_s:.0f} s, not handed off {result.lost}, "
        f"p50 {result.p(50):.0f} ms p95 {result.p(95):.0f} ms p99 {result.p(99):.0f} ms; "
        f"broker floor p99 {np.percentile(floor, 99):.1f} ms; "
        f"CPU {', '.join(f'{k} {v:.0%}' for k, v in result.cpu.items())}; "
        f"lag after drain {', '.join(f'{k} {v:.0f}' for k, v in result.lag.items())}; "
        f"median hops {', '.join(f'{k} {v:.0f} ms' for k, v in result.hops_ms.items())}; "
        f"p99 per sixth {', '.join(f'{p:.0f}' for p in result.part_p99s(PARTS))} ms; "
        f"hop p99s first sixth {', '.join(f'{v:.0f}' for v in result.hops_first_p99_ms.values())} ms, "
        f"last sixth {', '.join(f'{v:.0f}' for v in result.hops_last_p99_ms.values())} ms",
        flush=True,
    )
    return result, floor


@dataclass
class RateFigures:
    """Medians over the runs at one rate."""

    rate: int
    runs: int
    accepted: float
    sent: float
    lost: float
    p50: float
    p95: float
    p99: float
    floor50: float
    floor99: float
    cpu: dict[str, float]
    rss: dict[str, float]
    hops: dict[str, float]
    hops_first_p99: dict[str, float]
    hops_last_p99: dict[str, float]
    answered_s: float
    early_p50: float  # median latency of the step's first tenth of leads
    late_p50: float  # ... and of its last tenth
    part_p99s: list[float]  # p99 of each sixth of the step's leads, in send order

    def kept_up(self, seconds: float) -> bool:
        """Nothing lost, capture answered on time, and latency did not grow over the step (no backlog)."""
        on_time = self.answered_s <= seconds * 1.1
        return self.lost == 0 and on_time and self.late_p50 <= 2 * self.early_p50 + 1000


def medians(rate: int, results: list[tuple[Step, list[float]]]) -> RateFigures:
    steps = [s for s, _ in results]

    def med(values: list[float]) -> float:
        return float(np.median(values))

    def per_hop(figure: Callable[[Step], dict[str, float]]) -> dict[str, float]:
        return {n: med([figure(s).get(n, float("nan")) for s in steps]) for n in steps[0].hops_ms}

    return RateFigures(
        rate=rate,
        runs=len(results),
        accepted=med([s.accepted for s in steps]),
        sent=med([s.sent for s in steps]),
        lost=med([s.lost + s.failed for s in steps]),
        p50=med([s.p(50) for s in steps]),
        p95=med([s.p(95) for s in steps]),
        p99=med([s.p(99) for s in steps]),
        floor50=med([float(np.percentile(f, 50)) for _, f in results]),
        floor99=med([float(np.percentile(f, 99)) for _, f in results]),
        cpu={n: med([s.cpu[n] for s in steps]) for n in steps[0].cpu},
        rss={n: med([s.rss_mib[n] for s in steps]) for n in steps[0].rss_mib},
        hops=per_hop(lambda s: s.hops_ms),
        hops_first_p99=per_hop(lambda s: s.hops_first_p99_ms),
        hops_last_p99=per_hop(lambda s: s.hops_last_p99_ms),
        answered_s=med([s.answered_s for s in steps]),
        early_p50=med([s.tenth_p50(first=True) for s in steps]),
        late_p50=med([s.tenth_p50(first=False) for s in steps]),
        part_p99s=[med(list(values)) for values in zip(*(s.part_p99s(PARTS) for s in steps), strict=True)],
    )


@dataclass
class Spell:
    """How fast the machine was: the CPU of a wake-up of another process and of a one-row transaction (us)."""

    wake_up_us: float
    transaction_us: float


def read_spell(workdir: Path) -> Spell:
    """Measure two unit costs (as the machine section does), so a run's figures can be set against the machine's speed."""
    infra = resolve_infrastructure(workdir)
    try:
        transaction = asyncio.run(statement_costs(infra.postgres_dsn, 1_000))["BEGIN, one INSERT, COMMIT"]
    finally:
        infra.close()
    return Spell(cross_process_round_trip(10_000).caller_cpu_us, transaction.caller_cpu_us)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="50,100,200,500")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--drain", type=float, default=30)
    parser.add_argument("--runs", type=int, default=3, help="runs per rate; the figures are medians")
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--broker", choices=["kafka", "tansu"], default="kafka", help="the dev kit's broker to run on"
    )
    args = parser.parse_args()
    os.environ["LEADRELAY_DEV_BROKER"] = args.broker
    workdir = Path(tempfile.mkdtemp(prefix="lr-bench-e2e-"))
    before = read_spell(workdir)
    figures = [
        medians(rate, [run_rate(rate, args, workdir) for _ in range(args.runs)])
        for rate in (int(r) for r in args.rates.split(","))
    ]
    spells = (before, read_spell(workdir))
    print(
        f"unit costs before and after: a wake-up {spells[0].wake_up_us:.0f} and {spells[1].wake_up_us:.0f} us, "
        f"a transaction {spells[0].transaction_us:.0f} and {spells[1].transaction_us:.0f} us of CPU"
    )
    if args.write:
        write_doc(figures, args, spells)
    return 0


def fetch_bytes(min_bytes: int) -> str:
    """Say what a fetch waits for, in words."""
    if min_bytes == 1:
        return "the first byte"
    return f"{min_bytes // 1024} KiB" if min_bytes >= 1024 else f"{min_bytes} bytes"


def write_doc(figures: list[RateFigures], args: argparse.Namespace, spells: tuple[Spell, Spell]) -> None:
    rows = "\n".join(
        f"| {f.rate}/s | {f.accepted:,.0f} of {f.sent:,.0f} in {f.answered_s:.0f} s | {f.lost:.0f} | {f.p50:.0f} ms | {f.p95:.0f} ms "
        f"| **{f.p99:.0f} ms** | {f.floor50:.1f} / {f.floor99:.1f} ms |"
        for f in figures
    )
    resources = "\n".join(
        f"| {f.rate}/s | "
        + " | ".join(f"{f.cpu[n]:.0%}" + (f", {f.rss[n]:.0f} MiB" if n in f.rss else "") for n in f.cpu)
        + " |"
        for f in figures
    )
    names = list(figures[0].cpu) if figures else [s.name for s in SERVICES]
    hop_names = list(figures[0].hops) if figures else []
    hops = "\n".join(
        f"| {f.rate}/s | " + " | ".join(f"{f.hops.get(n, float('nan')):.0f} ms" for n in hop_names) + " |"
        for f in figures
    )
    hop_tails = "\n".join(
        f"| {f.rate}/s | "
        + " | ".join(
            f"{f.hops_first_p99.get(n, float('nan')):.0f} -> {f.hops_last_p99.get(n, float('nan')):.0f} ms"
            for n in hop_names
        )
        + " |"
        for f in figures
    )
    part_length = args.seconds / PARTS
    part_names = [f"{i * part_length:.0f}-{(i + 1) * part_length:.0f} s" for i in range(PARTS)]
    parts = "\n".join(
        f"| {f.rate}/s | " + " | ".join(f"{p:.0f} ms" for p in f.part_p99s) + " |" for f in figures
    )
    sustained = [f.rate for f in figures if f.kept_up(args.seconds)]
    at_200 = next((f for f in figures if f.rate == 200), None)

    def verdict(met: bool) -> str:
        return "met" if met else "**not met**"

    hop_meanings = "; ".join(f"{name} is {meaning}" for name, meaning in HOPS.items())
    on_kafka = args.broker == "kafka"
    broker = (
        "Apache Kafka 4.4.0 (one KRaft node, from Maven Central)" if on_kafka else "the embedded Tansu broker"
    )
    target_ms = 150 if on_kafka else 250
    growth = (
        "A rise from the first column to the last means a backlog: the rate is beyond what the machine keeps up with"
        if on_kafka
        else "The embedded broker's fetches cost more as the step's topics fill (see its section), so a rise from "
        "the first column to the last is the broker's growth unless the rate is beyond what the machine keeps up with"
    )
    fetch_wait_meaning = (
        "answered the moment data landed (the wait only sets how often an idle consumer asks)"
        if on_kafka
        else "answered only when the wait ended, so it bounds each hop's added latency"
    )
    capture_pace_ms = CaptureSettings().outbox_min_pass_interval_ms
    pacing = (
        f"Capture's outbox relay, when busy, published at most once per {capture_pace_ms} ms; the other services' "
        "relays published after every commit"
        if capture_pace_ms
        else "Every outbox relay published after every commit"
    )
    jvm = (
        " The broker's JVM compiles with C1 only (`-XX:TieredStopAtLevel=1`, the dev kit's choice for a small shared "
        "machine): a fresh broker's C2 compiler took about 20% of a core through a whole step."
        if on_kafka
        else ""
    )
    write_section(
        "e2e-kafka" if on_kafka else "e2e",
        f"""## End to end: capture to handoff, on {"Apache Kafka" if on_kafka else "Tansu"}

`bench/e2e.py --broker {args.broker}` ({time.strftime("%Y-%m-%d")}; medians of {args.runs} runs per rate, each on a fresh stack: the five
services as processes, {broker} (its process is the broker column), PostgreSQL and the load generator on the same 2 cores). Leads that
qualify at once are posted open-loop at a fixed rate for {args.seconds:.0f} s by wrk (`bench/e2e_leads.lua`, each
with an Idempotency-Key); latency is from the time each request was due on that timetable (carried in the lead's
email) to a consumer of `leads.qualified` receiving the handoff. The load generator's CPU below is wrk's and that
consumer's. The floor is the broker's own
produce-to-consume round trip at the same rate and fetch wait, measured in the same run. This machine's speed
varies from hour to hour, and these figures with it. Two unit costs of the machine section, measured just before
the runs and just after them, show how fast it was (CPU of the caller): a wake-up of another process
{spells[0].wake_up_us:.0f} us, then {spells[1].wake_up_us:.0f} us; a one-row transaction {spells[0].transaction_us:.0f} us, then {spells[1].transaction_us:.0f} us.

| rate | accepted (2xx) | not handed off {args.drain:.0f} s after the last answer | p50 | p95 | p99 | broker floor p50 / p99 |
|---|---|---|---|---|---|---|
{rows}

CPU (share of one core) and peak memory per process:

| rate | {" | ".join(names)} |
|---|{"---|" * len(names)}
{resources}

Where the time goes (median per lead, from the events' own times and their records' timestamps, read from the
topics after the step so that the bench adds no consumer to the broker's load during it: {hop_meanings}):

| rate | {" | ".join(hop_names)} |
|---|{"---|" * len(hop_names)}
{hops}

The same hops' p99 over the leads of the step's first sixth and of its last (medians of the runs), which shows
which hop the growth within a step comes from:

| rate | {" | ".join(hop_names)} |
|---|{"---|" * len(hop_names)}
{hop_tails}

p99 over the step (the leads of each sixth of it, by send time; medians of the runs). {growth}:

| rate | {" | ".join(part_names)} |
|---|{"---|" * PARTS}
{parts}

Highest rate sustained with zero loss (every accepted lead handed off, capture answering within 10% of the
step's length, and the median latency of the step's last tenth of leads at most twice that of its first tenth
plus a second, so no backlog was building): **{f"{max(sustained)}/s" if sustained else "none of those measured"}**.
Targets on this 2-core machine: p99 under {target_ms} ms at 200 leads/s ({verdict(at_200 is not None and at_200.p99 < target_ms)}),
at least 500 leads/s without loss ({verdict(500 in sustained)}). The consumers on the capture-to-handoff path
(scoring's `leads.captured`, routing's `leads.scored`) and the SLA monitor's waited up to {KafkaSettings().fetch_max_wait_ms} ms per fetch
for {fetch_bytes(KafkaSettings().fetch_min_bytes)} (`LEADRELAY_KAFKA_FETCH_MAX_WAIT_MS` / `_FETCH_MIN_BYTES`), {fetch_wait_meaning}; the sales tool's
reader took each handoff as soon as it landed. Every other consumer waited up to
{KafkaSettings().background_fetch_max_wait_ms} ms for {fetch_bytes(KafkaSettings().background_fetch_min_bytes)}
(`LEADRELAY_KAFKA_BACKGROUND_FETCH_*`), so it handles bigger batches in fewer transactions. {pacing}
(`LEADRELAY_<SERVICE>_OUTBOX_MIN_PASS_INTERVAL_MS`).{jvm}""",
    )


if __name__ == "__main__":
    sys.exit(main())
