"""An open-loop load generator for capture: leads at a fixed rate, retried like a careful backend would."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import aiohttp


def sales_ready_lead(i: int, run: str) -> dict[str, str]:
    """A lead that qualifies at once (a complete form with a question), so it is handed off."""
    return {
        "email": f"load-{run}-{i}@example.com",
        "name": "Load Lead",
        "company": "Acme",
        "phone": "+44 20 7946 0958",
        "company_size": "201-1000",
        "source": "referral",
        "message": "Can we see a demo?",
    }


@dataclass
class LoadResult:
    """What was sent and what capture acknowledged (2xx), with each accepted lead's scheduled send time."""

    sent: int = 0
    failed: int = 0  # never acknowledged, even after retries
    retried: int = 0
    accepted: dict[str, float] = field(default_factory=dict)  # lead_id -> scheduled send time (epoch s)


async def post_leads(
    capture_url: str,
    api_key: str,
    rate: float,
    seconds: float,
    *,
    retry_for_s: float = 0.0,
    in_flight: int = 64,
    run: str | None = None,
) -> LoadResult:
    """Post `rate` leads per second for `seconds`, open loop (a slow system does not slow the sender).

    Each request carries an Idempotency-Key; with retry_for_s > 0 a failed request (connection refused,
    timeout, 5xx) is retried with the same key until acknowledged or out of time, as a backend on a flaky
    network would. Latency counts from the scheduled time, so backlogs are not hidden.
    """
    run = run or uuid.uuid4().hex[:8]
    result = LoadResult()
    gate = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=10)
    # aiohttp rather than httpx: on a small machine the generator's own CPU is taken from the system under test.
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers={"X-API-Key": api_key}
    ) as http:

        async def attempt(i: int, key: str) -> tuple[int, dict | None] | None:
            """One request: (status, JSON body) or None when the connection failed or timed out."""
            async with gate:
                try:
                    async with http.post(
                        f"{capture_url}/v1/leads",
                        json=sales_ready_lead(i, run),
                        headers={"Idempotency-Key": key},
                    ) as response:
                        body = await response.json() if response.status < 300 else None
                        return response.status, body
                except (aiohttp.ClientError, TimeoutError):
                    return None

        async def post(i: int, scheduled: float) -> None:
            key = f"{run}-{i}"
            give_up = time.monotonic() + retry_for_s
            backoff = 0.1
            while True:
                answer = await attempt(i, key)
                if answer is not None and answer[1] is not None:
                    result.accepted[answer[1]["lead_id"]] = scheduled
                    return
                if answer is not None and answer[0] < 500 and answer[0] != 429:
                    result.failed += 1  # refused for a reason a retry will not change
                    return
                if time.monotonic() + backoff > give_up:
                    result.failed += 1
                    return
                result.retried += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

        tasks = []
        begin, wall = time.monotonic(), time.time()
        total = int(rate * seconds)
        for i in range(total):
            delay = begin + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(i, wall + i / rate)))
        result.sent = total
        await asyncio.gather(*tasks)
    return result
