"""Sends one webhook attempt: the target checked as resolved now, no redirects, a timeout, a bounded read."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from leadrelay.delivery.domain.targets import Network, TargetRefused, check_addresses, check_url


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt got: a status code (None when there was no answer), how long, and why it failed."""

    status_code: int | None
    latency_ms: int
    retry_after: str | None = None
    error: str | None = None


class WebhookSender:
    """POSTs signed bodies to webhook targets with one shared connection pool."""

    def __init__(self, allowed: Sequence[Network], timeout_s: float, max_response_bytes: int) -> None:
        self._allowed = list(allowed)
        self._max_response_bytes = max_response_bytes
        # Redirects are not followed: a target could bounce the request to an address it may not reach.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False
        )

    async def check_target(self, url: str) -> None:
        """Raise TargetRefused for a URL that is malformed or resolves to an address not allowed."""
        host, port = check_url(url)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):  # no such name, or one the resolver cannot even encode
            raise TargetRefused("the host does not resolve") from None
        check_addresses([str(info[4][0]) for info in found], self._allowed)

    async def send(self, url: str, headers: dict[str, str], body: str) -> AttemptResult:
        """Make one attempt; never raises for what the network or the receiver did."""
        started = time.perf_counter()

        def elapsed_ms() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            await self.check_target(url)  # again at every attempt: what a name resolves to can change
            request_headers = {
                **headers,
                "content-type": "application/json",
                "user-agent": "Leadrelay-Delivery",
            }
            async with self._client.stream("POST", url, content=body, headers=request_headers) as response:
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= self._max_response_bytes:
                        break  # the answer's status is all that counts; a huge body is not read
                return AttemptResult(response.status_code, elapsed_ms(), response.headers.get("retry-after"))
        except TargetRefused as exc:
            return AttemptResult(None, elapsed_ms(), error=f"refused: {exc}"[:200])
        except httpx.TimeoutException:
            return AttemptResult(None, elapsed_ms(), error="timed out")
        except httpx.HTTPError as exc:
            return AttemptResult(None, elapsed_ms(), error=type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
