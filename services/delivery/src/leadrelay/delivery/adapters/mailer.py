"""Sends one email attempt over SMTP: the message built from a delivery's rendered parts, a stable Message-ID."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from leadrelay.delivery.adapters.sender import AttemptResult


class Mailer:
    """Hands emails to the configured SMTP server, one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str | None,
        password: str | None,
        timeout_s: float,
        sender: str,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._sender = sender
        domain = parseaddr(sender)[1].rpartition("@")[2]
        self._domain = domain or "leadrelay.invalid"

    def message(self, delivery_key: str, recipient: str, body: str) -> EmailMessage:
        """The email of a delivery: its Message-ID is the delivery's, so a retry is recognisably the same mail."""
        parts = json.loads(body)
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = recipient
        message["Subject"] = parts["subject"]
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{delivery_key}@{self._domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
        message.set_content(parts["text"])
        message.add_alternative(parts["html"], subtype="html")
        return message

    async def send(self, delivery_key: str, recipient: str, body: str) -> AttemptResult:
        """Make one attempt; never raises for what the network or the server did. The status is the SMTP reply
        code (250 accepted, 5xx refused for good, 4xx or none: try again)."""
        started = time.perf_counter()

        def elapsed_ms() -> int:
            return round((time.perf_counter() - started) * 1000)

        if not body:  # the lead was erased: nothing left to send
            return AttemptResult(None, 0, error="erased")
        try:
            errors, _reply = await aiosmtplib.send(
                self.message(delivery_key, recipient, body),
                hostname=self._host,
                port=self._port,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                username=self._username,
                password=self._password,
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            code = exc.recipients[0].code if exc.recipients else 550
            return AttemptResult(code, elapsed_ms(), error=f"recipient refused ({code})")
        except aiosmtplib.SMTPResponseException as exc:
            return AttemptResult(exc.code, elapsed_ms(), error=f"refused ({exc.code})")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return AttemptResult(None, elapsed_ms(), error=type(exc).__name__)
        if errors:  # one recipient per message: a refusal of it shows here when the server did not raise
            code = next(iter(errors.values()))[0]
            return AttemptResult(code, elapsed_ms(), error=f"recipient refused ({code})")
        return AttemptResult(250, elapsed_ms())
