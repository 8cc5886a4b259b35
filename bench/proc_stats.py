"""What the benchmarks read about processes from /proc: CPU time, resident memory, CPU share over a window."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_of_command(prefix: str) -> float:
    """CPU seconds of every process whose command name starts with prefix (PostgreSQL's backends, the broker)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().startswith(prefix):
                total += cpu_seconds(int(comm.parent.name))
        except (OSError, ValueError):
            continue  # the process ended while we looked
    return total


def rss_mib(pid: int) -> float:
    """A process's resident memory in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def window(pid: int, seconds: float) -> float:
    """A process's CPU (share of one core) over the next `seconds`."""
    before, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started)
