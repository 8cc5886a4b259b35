"""Sends one webhook attempt: the target checked as resolved now, no redirects, a timeout, a bounded read."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from leadrelay.delivery.domain.targets import Network, TargetRefused, check_addresses, check_url


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt got: a status code (None when there was no answer), how long, and why it failed."""

    status_code: int | None
    latency_ms: int
    retry_after: str | None = None
    error: str | None = None


class CheckedResolver(AbstractResolver):
    """Resolves a target's name for the connection itself and refuses addresses not allowed, so what is checked
    is what is connected to (a name that answers a public address to a check and a private one to the
    connection a moment later gets nowhere)."""

    def __init__(self, allowed: Sequence[Network], inner: AbstractResolver | None = None) -> None:
        self._allowed = list(allowed)
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:  # made in the running loop, on first use
            self._inner = ThreadedResolver()
        found = await self._inner.resolve(host, port, family)
        check_addresses([r["host"] for r in found], self._allowed)
        return found

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


class WebhookSender:
    """POSTs signed bodies to webhook targets over one pool of kept-alive connections.

    aiohttp rather than httpx: at 200 webhooks/s delivery took 24% of a core on it against 49% on httpx, whose
    pool looks at every connection's socket on each request (docs/benchmarks.md)."""

    def __init__(
        self,
        allowed: Sequence[Network],
        timeout_s: float,
        max_response_bytes: int,
        concurrency: int = 20,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._allowed = list(allowed)
        self._resolver = resolver  # how names are resolved (a test's stand-in for DNS); checked either way
        self._max_response_bytes = max_response_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made in the running loop, on first use
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._concurrency,
                    resolver=CheckedResolver(self._allowed, self._resolver),
                    use_dns_cache=False,  # each new connection is checked by what its name resolves to now
                ),
                timeout=self._timeout,
                trust_env=False,
                headers={"user-agent": "Leadrelay-Delivery"},
            )
        return self._session

    async def check_target(self, url: str) -> None:
        """Raise TargetRefused for a URL that is malformed or resolves to an address not allowed."""
        check_literal(url, self._allowed)
        host, port = check_url(url)
        if _is_address(host):  # an address in the URL itself: nothing to resolve
            return
        resolver = self._resolver or ThreadedResolver()
        try:
            found = await resolver.resolve(host, port, socket.AF_UNSPEC)
        except (OSError, UnicodeError):  # no such name, or one the resolver cannot even encode
            raise TargetRefused("the host does not resolve") from None
        check_addresses([r["host"] for r in found], self._allowed)

    async def send(self, url: str, headers: dict[str, str], body: str) -> AttemptResult:
        """Make one attempt; never raises for what the network or the receiver did."""
        started = time.perf_counter()

        def elapsed_ms() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            check_literal(url, self._allowed)  # a name is checked by the resolver, at the connection itself
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


def _is_address(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def check_literal(url: str, allowed: Sequence[Network]) -> None:
    """Raise TargetRefused for a malformed URL or an address in it that is not allowed (no resolution)."""
    host, _ = check_url(url)
    if _is_address(host):
        check_addresses([host], allowed)
