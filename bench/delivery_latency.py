"""Delivery: how long from a handoff (LeadQualified made) to a webhook receiver's 2xx, with leads posted to
capture at a fixed rate through the whole stack; a receiver on loopback subscribed to every handoff.

Prints figures; with --write, updates the delivery section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from doc_sections import write_section
from e2e import ADMIN_KEY, API_KEY, fresh_stack, read_spell
from proc_stats import cpu_seconds
from wrk_leads import due_at, post_leads_with_wrk

from leadrelay.devkit.testing.receiver import Receiver
from leadrelay.events.handoff import LeadQualified


async def measure(stack, rate: int, seconds: float, drain_s: float, workdir: Path) -> dict[str, float]:
    """One step: subscribe a receiver, post leads at rate for seconds, time each first handoff's webhook."""
    async with Receiver() as receiver, httpx.AsyncClient(timeout=10) as http:
        subscribed = await http.post(
            stack["delivery"].url + "/v1/subscriptions",
            json={
                "name": "bench",
                "target": {"type": "webhook", "url": receiver.url},
                "events": [LeadQualified.EVENT_TYPE],
            },
            headers={"X-API-Key": ADMIN_KEY},
        )
        subscribed.raise_for_status()
        pid = stack["delivery"].process.pid
        cpu_before, started = cpu_seconds(pid), time.monotonic()
        load = await post_leads_with_wrk(stack["capture"].url, API_KEY, rate, seconds, workdir)
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline and len(receiver.received) < len(load.accepted):  # noqa: ASYNC110 (the receiver fills it)
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        cpu = (cpu_seconds(pid) - cpu_before) / elapsed
    handoff_ms, whole_ms, seen = [], [], set()
    for got in receiver.received:
        event = json.loads(got.body)
        data = event["data"]
        if data["attempt"] != 1 or data["lead_id"] in seen:
            continue
        seen.add(data["lead_id"])
        handoff_ms.append((got.at - datetime.fromisoformat(event["time"]).timestamp()) * 1000)
        due = due_at(data["lead"]["contact"]["email"] or "")
        if due is not None:
            whole_ms.append((got.at - due) * 1000)
    return {
        "accepted": len(load.accepted),
        "delivered": len(seen & load.accepted),
        "p50": float(np.percentile(handoff_ms, 50)),
        "p99": float(np.percentile(handoff_ms, 99)),
        "whole_p50": float(np.percentile(whole_ms, 50)),
        "whole_p99": float(np.percentile(whole_ms, 99)),
        "cpu": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--drain", type=float, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--broker", choices=["kafka", "tansu"], default="kafka")
    args = parser.parse_args()
    os.environ["LEADRELAY_DEV_BROKER"] = args.broker
    workdir = Path(tempfile.mkdtemp(prefix="lr-bench-delivery-"))
    spell = read_spell(workdir)
    runs = []
    for _ in range(args.runs):
        with fresh_stack(workdir, "dl") as (stack, _, _):
            runs.append(asyncio.run(measure(stack, args.rate, args.seconds, args.drain, workdir)))
        print(json.dumps(runs[-1]), flush=True)
    med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    print(f"medians: {json.dumps(med)}; a one-row transaction {spell.transaction_us:.0f} us of CPU")
    if args.write:
        write_section(
            "delivery",
            f"""## Delivery: from a handoff to a webhook receiver's answer

`bench/delivery_latency.py` ({time.strftime("%Y-%m-%d")}; {"Apache Kafka" if args.broker == "kafka" else "Tansu"}; medians of {args.runs} runs, each on a fresh stack of
the six services; a one-row transaction cost {spell.transaction_us:.0f} us of CPU that day). A receiver on loopback (answering
200 at once) is subscribed to every handoff; leads that qualify at once are posted to capture at {args.rate}/s for
{args.seconds:.0f} s by wrk. The latency is from LeadQualified's own time (routing made the handoff) to the receiver
having the signed webhook, and, for the whole path, from when the lead was due to be posted.

| rate | handoffs delivered | LeadQualified to webhook p50 / p99 | request to webhook p50 / p99 | delivery's CPU |
|---|---|---|---|---|
| {args.rate}/s | {med["delivered"]:,.0f} of {med["accepted"]:,.0f} | {med["p50"]:.0f} / **{med["p99"]:.0f} ms** | {med["whole_p50"]:.0f} / {med["whole_p99"]:.0f} ms | {med["cpu"]:.0%} |

A webhook goes out after routing's relay has published the handoff, delivery's consumer has written the delivery
row in its transaction and its dispatcher has leased, signed and sent it; the whole stack, broker, PostgreSQL,
wrk and the receiver share the 2 cores.""",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
