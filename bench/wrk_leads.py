"""Leads posted to capture by wrk on a fixed timetable, open loop: the load generator of bench/e2e.

A C generator rather than the suite's aiohttp one (`leadrelay.devkit.testing.load`), because on this 2-core machine
every point of a core the generator takes is taken from the system it measures.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from wrk_tool import HERE, ensure_wrk, wrk_env

from leadrelay.devkit.testing.load import sales_ready_lead

THREADS = 2
# A lead's email carries the time it was due, in epoch microseconds (bench/e2e_leads.lua).
DUE = re.compile(r"-(\d+)@example\.com$")
# With no new answer for this long after the last lead was due, the rest are not coming (wrk's own
# timeout is 10 s, as the suite's generator's is).
QUIET_S = 15.0


@dataclass
class WrkLoad:
    """What wrk sent, which leads capture accepted (2xx), how long it took and wrk's CPU."""

    sent: int
    accepted: set[str] = field(default_factory=set)
    failed: int = 0  # answered with another status, or never answered
    answered_s: float = 0.0  # from the first lead's due time until the last answer
    cpu_s: float = 0.0


def due_at(email: str) -> float | None:
    """The epoch time (s) a bench lead was due to be sent, read from its email; None for other leads."""
    match = DUE.search(email)
    return int(match.group(1)) / 1e6 if match else None


class _Answers:
    """Reads the answer files the threads append to, only what is new on each call."""

    def __init__(self, prefix: Path) -> None:
        self.paths = [Path(f"{prefix}{thread}") for thread in range(THREADS)]
        self.offsets = [0] * THREADS
        self.accepted: set[str] = set()
        self.refused = 0
        self.last_answer_ms = 0.0

    def read(self) -> int:
        """Take in the lines written since the last call; return how many answers there are in all."""
        for n, path in enumerate(self.paths):
            if not path.exists():
                continue
            with path.open("rb") as f:
                f.seek(self.offsets[n])
                chunk = f.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next call
            self.offsets[n] += len(complete)
            for line in complete.decode().splitlines():
                first, second = line.split()
                if first == "!":
                    self.refused += 1
                elif first != "?":  # "?": the answer to an idle connection's request, not a lead
                    self.accepted.add(first)
                    self.last_answer_ms = max(self.last_answer_ms, float(second))
        return len(self.accepted) + self.refused


async def post_leads_with_wrk(url: str, api_key: str, rate: int, seconds: float, workdir: Path) -> WrkLoad:
    """Post rate x seconds leads that qualify at once, on one timetable, and wait until all are answered."""
    total = int(rate * seconds)
    prefix = workdir / f"answers-{uuid.uuid4().hex[:8]}-"
    start_ms = (time.time() + 0.5) * 1000  # wrk connects first; the timetable starts after that
    env = wrk_env(
        WRK_API_KEY=api_key,
        WRK_RATE=str(rate),
        WRK_TOTAL=str(total),
        WRK_THREADS=str(THREADS),
        WRK_START=f"{start_ms:.3f}",
        WRK_RUN=uuid.uuid4().hex[:8],
        WRK_ANSWERS=str(prefix),
        # the suite's sales-ready lead, each request with an email of its own (so none merge)
        WRK_LEAD=json.dumps({**sales_ready_lead(0, "bench"), "email": "EMAIL_SLOT"}),
    )
    # Enough connections for a second's worth of leads in flight; the idle ones only wait.
    connections = max(THREADS * 4, min(rate, 256))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = await asyncio.create_subprocess_exec(
        ensure_wrk(),
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{int(seconds * 3 + 60)}s",  # an upper bound: it is stopped once every lead is answered
        "--timeout",
        "10s",
        "-s",
        str(HERE / "e2e_leads.lua"),
        url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    answers = _Answers(prefix)
    last_due = start_ms / 1000 + seconds
    heard_at = time.time()
    count = 0
    while count < total and process.returncode is None:
        await asyncio.sleep(0.1)
        now = time.time()
        if (new := answers.read()) > count:
            count, heard_at = new, now
        elif now > max(last_due, heard_at) + QUIET_S:
            break
    if process.returncode is None:
        process.send_signal(signal.SIGINT)  # wrk prints its summary and exits
    output = (await process.communicate())[0].decode()
    answers.read()
    if count < total:  # wrk's summary says why (socket errors, timeouts)
        print(f"wrk: {total - len(answers.accepted)} of {total} leads not accepted:\n{output}", flush=True)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return WrkLoad(
        sent=total,
        accepted=answers.accepted,
        failed=total - len(answers.accepted),
        answered_s=max(0.0, answers.last_answer_ms - start_ms) / 1000,
        cpu_s=(children_after.ru_utime + children_after.ru_stime)
        - (children_before.ru_utime + children_before.ru_stime),
    )
