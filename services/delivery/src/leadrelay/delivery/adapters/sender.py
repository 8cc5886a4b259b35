"""Sends one webhook attempt: the target checked as resolved now, no redirects, a timeout, a bounded read."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address

import aiohttp

from leadrelay.delivery.domain.targets import Network, TargetRefused, check_addresses, check_url


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt got: a status code (None when there was no answer), how long, and why it failed."""

    status_code: int | None
    latency_ms: int
    retry_after: str | None = None
    error: str | None = None


class WebhookSender:
    """POSTs signed bodies to webhook targets over one pool of kept-alive connections.

    aiohttp rather than httpx: at 200 webhooks/s delivery took 24% of a core on it against 49% on httpx, whose
    pool looks at every connection's socket on each request (docs/benchmarks.md)."""

    def __init__(
        self, allowed: Sequence[Network], timeout_s: float, max_response_bytes: int, concurrency: int = 20
    ) -> None:
        self._allowed = list(allowed)
        self._max_response_bytes = max_response_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made in the running loop, on first use
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency),
                timeout=self._timeout,
                trust_env=False,
                headers={"user-agent": "Leadrelay-Delivery"},
            )
        return self._session

    async def check_target(self, url: str) -> None:
        """Raise TargetRefused for a URL that is malformed or resolves to an address not allowed."""
        host, port = check_url(url)
        try:
            literal = ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:  # an address in the URL itself: nothing to resolve
            check_addresses([str(literal)], self._allowed)
            return
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
            # Redirects are not followed: a target could bounce the request to an address it may not reach.
            async with self._client().post(
                url,
                data=body.encode(),
                headers={**headers, "content-type": "application/json"},
                allow_redirects=False,
            ) as response:
                # the answer's status is all that counts; a huge body is not read past the limit
                await response.content.read(self._max_response_bytes)
                return AttemptResult(response.status, elapsed_ms(), response.headers.get("retry-after"))
        except TargetRefused as exc:
            return AttemptResult(None, elapsed_ms(), error=f"refused: {exc}"[:200])
        except TimeoutError:
            return AttemptResult(None, elapsed_ms(), error="timed out")
        except aiohttp.ClientError as exc:
            return AttemptResult(None, elapsed_ms(), error=type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
