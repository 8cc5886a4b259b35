"""Each service's capacity on its own: the four consumers are frozen (SIGSTOP) while capture takes a burst of
leads, then released one at a time in pipeline order, each draining the whole backlog alone. Reports each
service's rate and CPU per lead, its own and PostgreSQL's, at the largest batches it ever gets: the cost per
lead that the end-to-end run adds fixed per-batch costs to.

Prints figures; with --write, updates the capacity section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from doc_sections import write_section
from e2e import API_KEY, fresh_stack
from proc_stats import cpu_of_command, cpu_seconds

from leadrelay.devkit.testing.load import post_leads

CONSUMERS = ("scoring", "routing", "sla-monitor", "metrics")
QUIET_S = 1.0  # a process that used under 6% of a core for this long has drained its backlog


def wait_idle(pid: int, timeout_s: float = 300) -> float:
    """Wait until the process goes quiet; return when its last busy second ended (monotonic)."""
    deadline = time.monotonic() + timeout_s
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(QUIET_S)
        now = cpu_seconds(pid)
        if now - last < 0.06 * QUIET_S:
            return time.monotonic() - QUIET_S
        last = now
    raise TimeoutError(f"process {pid} still busy after {timeout_s:.0f} s")


def one_run(leads: int, workdir: Path) -> dict[str, tuple[float, float, float]]:
    """Return per service: (leads per second, CPU us per lead, PostgreSQL CPU us per lead)."""
    figures: dict[str, tuple[float, float, float]] = {}
    with fresh_stack(workdir, "cap") as (stack, _, _):
        pids = {name: s.process.pid for name, s in stack.services.items() if s.process}
        for name in CONSUMERS:
            os.kill(pids[name], signal.SIGSTOP)
        try:
            for name in ("capture", *CONSUMERS):
                cpu, pg, started = cpu_seconds(pids[name]), cpu_of_command("postgres"), time.monotonic()
                if name == "capture":
                    load = asyncio.run(post_leads(stack["capture"].url, API_KEY, 2000, leads / 2000))
                    leads = len(load.accepted)
                else:
                    os.kill(pids[name], signal.SIGCONT)
                ended = wait_idle(pids[name])
                figures[name] = (
                    leads / (ended - started),
                    (cpu_seconds(pids[name]) - cpu) / leads * 1e6,
                    (cpu_of_command("postgres") - pg) / leads * 1e6,
                )
                print(
                    f"  {name}: {figures[name][0]:.0f} leads/s, {figures[name][1]:.0f} us CPU per lead, "
                    f"PostgreSQL {figures[name][2]:.0f} us",
                    flush=True,
                )
        finally:
            for name in CONSUMERS:  # a frozen process would not stop
                os.kill(pids[name], signal.SIGCONT)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=3, help="the figures are medians of the runs")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            print(f"run {i + 1} of {args.runs}", flush=True)
            runs.append(one_run(args.leads, Path(tmp)))
    names = ["capture", *CONSUMERS]
    medians = {n: tuple(statistics.median(r[n][k] for r in runs) for k in range(3)) for n in names}
    rows = "\n".join(
        f"| {n} | {rate:,.0f} | {cpu:,.0f} us | {pg:,.0f} us |" for n, (rate, cpu, pg) in medians.items()
    )
    total = sum(cpu + pg for _, cpu, pg in medians.values())
    print(rows)
    if args.write:
        write_section(
            "capacity",
            f"""## Each service alone: capacity and CPU per lead

`bench/service_capacity.py` ({time.strftime("%Y-%m-%d")}; medians of {args.runs} runs of {args.leads:,} leads, each on a
fresh stack). The four consumers are frozen while capture takes the leads at 2,000/s, then released one at a
time in pipeline order; each drains the whole backlog alone, so it works in its largest batches. The rate counts
until the service went quiet; CPU is the service's own and PostgreSQL's, per lead (metrics counts three events
per lead: LeadCaptured, LeadScored and LeadQualified).

| service | leads/s alone | CPU per lead | PostgreSQL CPU per lead |
|---|---|---|---|
{rows}

Together about {total / 1000:.1f} ms of CPU per lead at the largest batches, before the broker, the load
generator and the per-batch costs of smaller batches: on two cores that bounds the sustained rate near
{2e6 / total:,.0f} leads/s even with nothing else running.""",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
