"""What the system's unit operations cost on this machine: a wake-up of another process, a PostgreSQL statement
and transaction, an empty fetch from the broker. Every figure in docs/benchmarks.md is made of these, and they
change with the machine's day, so they are measured next to the figures rather than assumed.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from proc_stats import cpu_seconds, window

from leadrelay.kafka.admin import ensure_topics
from leadrelay.settings import KafkaSettings

# How long an idle consumer's fetch waits; it asks again as soon as the broker answers.
FETCH_WAIT_MS = 50


@dataclass(frozen=True)
class RoundTrip:
    """One kind of round trip: wall time, and CPU of each side, in microseconds per round trip."""

    wall_us: float
    caller_cpu_us: float
    callee_cpu_us: float | None  # None when the callee is not a process on this machine


def cross_process_round_trip(trips: int = 20_000) -> RoundTrip:
    """A byte to a sleeping child process and back (what every request, statement and fetch pays at least)."""
    caller, callee = socket.socketpair()
    child = os.fork()
    if child == 0:  # the child only echoes
        for _ in range(trips):
            callee.recv(1)
            callee.send(b"y")
        os._exit(0)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(trips):
        caller.send(b"x")
        caller.recv(1)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    _, _, usage = os.wait4(child, 0)
    child_cpu = usage.ru_utime + usage.ru_stime
    caller.close()
    callee.close()
    return RoundTrip(wall / trips * 1e6, cpu / trips * 1e6, child_cpu / trips * 1e6)


async def statement_costs(dsn: str, repeats: int = 2_000) -> dict[str, RoundTrip]:
    """A prepared SELECT in autocommit, and BEGIN / INSERT / COMMIT, on the asyncpg driver the services use."""
    conn = await asyncpg.connect(dsn)
    table = f"bench_unit_costs_{uuid.uuid4().hex[:8]}"
    try:
        await conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, value text)")
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        local = os.path.exists(f"/proc/{backend}/stat")  # noqa: ASYNC240 (procfs: no disk I/O)

        def server_cpu() -> float:
            return cpu_seconds(backend) if local else 0.0

        async def select() -> None:
            await conn.fetchval("SELECT $1::int", 1)

        async def transaction() -> None:
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table} (value) VALUES ($1)", "x" * 200)

        async def measure(one: Callable[[], Awaitable[None]]) -> RoundTrip:
            server, started, cpu = server_cpu(), time.perf_counter(), time.process_time()
            for _ in range(repeats):
                await one()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            server = server_cpu() - server
            return RoundTrip(
                wall / repeats * 1e6, cpu / repeats * 1e6, server / repeats * 1e6 if local else None
            )

        return {
            "a prepared SELECT (autocommit)": await measure(select),
            "BEGIN, one INSERT, COMMIT": await measure(transaction),
        }
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


async def broker_cpu_per_empty_fetch(
    bootstrap_servers: str, broker_pid: int, partitions: int, seconds: float = 5.0
) -> float:
    """Broker CPU (us) per fetch that finds nothing: four idle consumers of one topic, each fetch waiting 50 ms."""
    topic = f"bench.unit-costs.{partitions}p.{uuid.uuid4().hex[:6]}"
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap_servers), [topic], partitions)
    consumers = [
        AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            auto_offset_reset="latest",
            fetch_max_wait_ms=FETCH_WAIT_MS,
            fetch_min_bytes=16 * 1024,
        )
        for _ in range(4)
    ]
    for consumer in consumers:
        await consumer.start()
    waiting = [asyncio.create_task(c.getmany(timeout_ms=int((seconds + 3) * 1000))) for c in consumers]
    await asyncio.sleep(1.5)  # a warm-up: past the first fetches and metadata requests
    share_of_a_core = await window(broker_pid, seconds)
    await asyncio.gather(*waiting)
    for consumer in consumers:
        await consumer.stop()
    fetches_per_s = len(consumers) * 1000 / FETCH_WAIT_MS
    return share_of_a_core / fetches_per_s * 1e6


def median_round_trip(runs: list[RoundTrip]) -> RoundTrip:
    """Each field's median over the runs."""
    callee = [r.callee_cpu_us for r in runs if r.callee_cpu_us is not None]
    return RoundTrip(
        statistics.median(r.wall_us for r in runs),
        statistics.median(r.caller_cpu_us for r in runs),
        statistics.median(callee) if callee else None,
    )


def unit_costs_table(dsn: str, bootstrap_servers: str, broker_pid: int | None, runs: int = 3) -> str:
    """Measure every unit cost `runs` times; return a markdown table of the medians."""
    rows = [
        (
            "a byte to another process and back",
            median_round_trip([cross_process_round_trip() for _ in range(runs)]),
        )
    ]
    statements = [asyncio.run(statement_costs(dsn)) for _ in range(runs)]
    rows += [(name, median_round_trip([s[name] for s in statements])) for name in statements[0]]
    lines = [
        "| unit | wall | CPU of the caller | CPU of the other side |",
        "|---|---|---|---|",
    ]
    for name, trip in rows:
        callee = f"{trip.callee_cpu_us:.0f} us" if trip.callee_cpu_us is not None else "(not on this machine)"
        lines.append(f"| {name} | {trip.wall_us:.0f} us | {trip.caller_cpu_us:.0f} us | {callee} |")
    if broker_pid is not None:
        for partitions in (1, 3):
            cost = statistics.median(
                asyncio.run(broker_cpu_per_empty_fetch(bootstrap_servers, broker_pid, partitions))
                for _ in range(runs)
            )
            lines.append(
                f"| an empty fetch of one topic of {partitions} partition{'s' if partitions > 1 else ''} "
                f"({FETCH_WAIT_MS} ms wait) | | | {cost:.0f} us (broker) |"
            )
    return "\n".join(lines)
