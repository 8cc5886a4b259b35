"""The webhook sender checks the address it connects to, not only the one a check saw a moment before."""

from __future__ import annotations

import socket
from ipaddress import ip_network

from aiohttp.abc import AbstractResolver, ResolveResult

from leadrelay.delivery.adapters.sender import WebhookSender
from leadrelay.devkit.testing.receiver import Receiver


class ScriptedDns(AbstractResolver):
    """Answers each question with the next address of its script (then the last one): DNS under an attacker's
    control answers a public address to the check and loopback to the connection."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [
            {"hostname": host, "host": answer, "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        return None


async def test_a_name_that_turns_private_after_the_check_is_refused_at_the_connection():
    async with Receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://crm.example:{port}/hooks"
        dns = ScriptedDns("93.184.216.34", "127.0.0.1")
        sender = WebhookSender([], timeout_s=2, max_response_bytes=1024, resolver=dns)
        try:
            await sender.check_target(url)  # the subscription's check: a public address
            result = await sender.send(url, {}, "{}")
        finally:
            await sender.close()
    assert result.status_code is None and "loopback" in (result.error or ""), result
    assert receiver.received == [] and dns.asked == 2


async def test_an_allow_listed_network_is_reached_by_name():
    async with Receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        dns = ScriptedDns("127.0.0.1")
        sender = WebhookSender([ip_network("127.0.0.1/32")], 2, 1024, resolver=dns)
        try:
            result = await sender.send(f"http://crm.internal:{port}/hooks", {}, "{}")
        finally:
            await sender.close()
    assert result.status_code == 200 and len(receiver.received) == 1
