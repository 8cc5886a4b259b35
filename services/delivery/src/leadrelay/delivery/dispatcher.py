"""The dispatcher: takes due deliveries, makes one signed attempt each, and records what follows from it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from leadrelay.delivery.adapters.mailer import Mailer
from leadrelay.delivery.adapters.sender import AttemptResult, WebhookSender
from leadrelay.delivery.adapters.store import Attempted, DeliveryStore, Due
from leadrelay.delivery.domain.retry import (
    RetryPolicy,
    Verdict,
    mail_verdict_of,
    retry_after_seconds,
    verdict_of,
)
from leadrelay.delivery.domain.signing import live_secrets, webhook_headers
from leadrelay.delivery.metrics import ATTEMPT_SECONDS, ATTEMPTS
from leadrelay.faults import fault_point
from leadrelay.observability.logging import error_name

log = structlog.get_logger(__name__)


def now_utc() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Sends due deliveries until stopped; a crash mid-attempt leaves the row leased, and another pass takes it
    once the lease ends (the webhook-id is the same, so the receiver can tell a repeat)."""

    def __init__(
        self,
        store: DeliveryStore,
        sender: WebhookSender,
        policy: RetryPolicy,
        *,
        interval_s: float,
        batch_size: int,
        concurrency: int,
        lease: timedelta,
        mailer: Mailer | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self._store = store
        self._sender = sender
        self._mailer = mailer
        self._policy = policy
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._lease = lease
        self._clock = clock
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Look for due deliveries now (the consumer just planned some)."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    sent = await self.dispatch_due()
                except Exception as exc:  # the database is down: try again after the interval
                    log.warning("dispatch_failed", error=error_name(exc))
                    sent = 0
                if sent >= self._batch_size:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval_s)
        finally:
            await self._sender.close()

    async def dispatch_due(self) -> int:
        """Make one attempt for each due delivery (up to a batch), then record them together; return how many."""
        leased = await self._store.lease_due(self._clock(), self._lease, self._batch_size)
        made = await asyncio.gather(*(self._attempt(due) for due in leased))
        if made:
            await fault_point("after_send_before_record")
        await self._store.record_attempts(made)
        return len(leased)

    async def _attempt(self, due: Due) -> Attempted:
        async with self._slots:
            at = self._clock()
            if due.channel == "email":
                result = await self._mail(due)
            else:
                headers = webhook_headers(due.webhook_id, at, due.body, live_secrets(due.secrets, at))
                result = await self._sender.send(due.url or "", headers, due.body)
        ATTEMPT_SECONDS.labels(due.channel).observe(result.latency_ms / 1000)
        return self._judge(due, at, result)

    async def _mail(self, due: Due) -> AttemptResult:
        if self._mailer is None:  # SMTP was unset after the email was planned: it waits for a server
            return AttemptResult(None, 0, error="no SMTP server is configured")
        return await self._mailer.send(due.webhook_id, due.recipient or "", due.body)

    def _judge(self, due: Due, at: datetime, result: AttemptResult) -> Attempted:
        """What follows from an attempt's answer: delivered, tried again later, or given up."""
        verdict = (mail_verdict_of if due.channel == "email" else verdict_of)(result.status_code)
        next_at: datetime | None = None
        disable: str | None = None
        if verdict is Verdict.DELIVERED:
            status, counted = "delivered", "delivered"
        elif verdict is Verdict.GONE:
            status, counted = "failed", "gone"
            disable = (
                f"the mail server refused the address for good ({result.status_code})"
                if due.channel == "email"
                else "the target answered 410 Gone"
            )
        else:
            retry_after = retry_after_seconds(result.retry_after, at)
            next_at = self._policy.next_attempt(due.attempts + 1, due.first_attempt_at or at, at, retry_after)
            if next_at is None:
                hours = self._policy.horizon_s / 3600
                status, counted = "failed", "failed"
                disable = f"the target kept failing for {hours:g} hours"
            else:
                status, counted = "pending", "retry"
        ATTEMPTS.labels(due.channel, counted).inc()
        if disable and due.subscription_id:  # a rep's own email has no subscription to disable
            log.warning("subscription_disabled", subscription=due.subscription_id, reason=disable)
        return Attempted(
            due,
            at,
            result.status_code,
            result.latency_ms,
            result.error,
            verdict.value,
            status,
            next_at,
            disable,
        )
