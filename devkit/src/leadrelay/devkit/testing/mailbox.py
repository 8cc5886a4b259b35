"""A real SMTP server on loopback (aiosmtpd) for the tests: keeps every message it accepts, or refuses
addresses it is told to."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from leadrelay.devkit.infra.net import free_port


@dataclass
class Mailbox:
    """Accepts mail for anyone but `refused` (a permanent 550) and `busy` (a temporary 451); with `save_to`, each
    message is also written there as an .eml file (`make run`'s mailbox)."""

    refused: set[str] = field(default_factory=set)
    busy: set[str] = field(default_factory=set)
    save_to: Path | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None

    def __enter__(self) -> Mailbox:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._controller is not None
        self._controller.stop()

    async def __aenter__(self) -> Mailbox:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to an address."""
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    async def handle_RCPT(  # aiosmtpd calls its hooks by these names
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 no such mailbox"
        if address.lower() in self.busy:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        if self.save_to is not None:
            self.save_to.mkdir(parents=True, exist_ok=True)
            (self.save_to / f"{len(self.messages):05d}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"
