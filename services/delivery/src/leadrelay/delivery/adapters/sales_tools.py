"""Acts on a handoff for a rep who followed an email's link, through routing's and the SLA monitor's own APIs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class ActionResult:
    """What the service that owns the handoff answered: its status code and, on failure, its reason."""

    status_code: int
    detail: str = ""

    @property
    def done(self) -> bool:
        return 200 <= self.status_code < 300


class SalesTools:
    """A sales tool's calls, made with the delivery service's own sales key."""

    def __init__(
        self, routing_url: str, sla_monitor_url: str, sales_key: str, timeout_s: float = 10.0
    ) -> None:
        self._routing = routing_url.rstrip("/")
        self._sla_monitor = sla_monitor_url.rstrip("/")
        self._headers = {"X-API-Key": sales_key, "user-agent": "Leadrelay-Delivery"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def accept(self, handoff_id: str) -> ActionResult:
        return await self._post(f"{self._routing}/v1/handoffs/{handoff_id}/accept", None)

    async def reject(self, handoff_id: str, reason: str) -> ActionResult:
        return await self._post(f"{self._routing}/v1/handoffs/{handoff_id}/reject", {"reason": reason})

    async def contacted(self, handoff_id: str, channel: str) -> ActionResult:
        return await self._post(f"{self._sla_monitor}/v1/handoffs/{handoff_id}/contact", {"channel": channel})

    async def _post(self, url: str, body: dict[str, str] | None) -> ActionResult:
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout, trust_env=False) as session,
                session.post(url, json=body, headers=self._headers, allow_redirects=False) as response,
            ):
                if 200 <= response.status < 300:
                    return ActionResult(response.status)
                return ActionResult(response.status, _detail(await response.text()))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return ActionResult(503, type(exc).__name__)


def _detail(text: str) -> str:
    """The reason in an error answer's `detail`, as the services write it."""
    try:
        detail = json.loads(text).get("detail", "")
    except (ValueError, AttributeError):
        return ""
    if isinstance(detail, dict):
        detail = detail.get("detail", "")
    return str(detail)[:300]
