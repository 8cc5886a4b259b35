"""A webhook receiver on loopback for the tests: answers each request with the next scripted status."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: str
    at: float  # when it arrived (epoch seconds)


@dataclass
class Receiver:
    """Answers requests with `script`'s statuses in turn (then the last one for ever); `retry_after` adds that
    header to non-2xx answers."""

    script: list[int] = field(default_factory=lambda: [200])
    retry_after: str | None = None
    received: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/hooks/leadrelay"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until the client closes it (keep-alive, as most receivers)."""
        try:
            while request_line := (await reader.readline()).decode():
                headers: dict[str, str] = {}
                while (line := (await reader.readline()).decode().strip()) != "":
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = (await reader.readexactly(int(headers.get("content-length", "0")))).decode()
                self.received.append(Received(request_line.split()[1], headers, body, time.time()))
                status = self.script[min(len(self.received), len(self.script)) - 1]
                extra = f"Retry-After: {self.retry_after}\r\n" if self.retry_after and status >= 300 else ""
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n{extra}\r\nok".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away mid-request
        finally:
            writer.close()
