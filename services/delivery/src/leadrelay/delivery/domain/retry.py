"""When to try a failed delivery again: exponential backoff with jitter, the receiver's Retry-After, a horizon."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum


class Verdict(Enum):
    """What an attempt's answer means for its delivery."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"  # 410: the receiver says the endpoint is gone for good, so the subscription is disabled


def verdict_of(status_code: int | None) -> Verdict:
    """2xx delivers, 410 retires the subscription, anything else (no answer at all included) is tried again."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    return Verdict.RETRY


def mail_verdict_of(reply_code: int | None) -> Verdict:
    """An SMTP reply: 2xx delivers, a permanent 5xx refusal (no such mailbox) will not change, 4xx and no answer
    are tried again."""
    if reply_code is not None and 200 <= reply_code < 300:
        return Verdict.DELIVERED
    if reply_code is not None and 500 <= reply_code < 600:
        return Verdict.GONE
    return Verdict.RETRY


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """Parse a Retry-After header: seconds, or an HTTP date; None when absent or unreadable."""
    if not header:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    return max(0.0, (at - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff doubling from first_delay_s up to max_delay_s, each delay jittered down by up to half (so
    receivers recovering from an outage are not hit by every sender at once), for horizon_s after the first try."""

    first_delay_s: float = 5.0
    max_delay_s: float = 3600.0
    horizon_s: float = 24 * 3600.0

    def delay_s(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after the attempts-th failed attempt (1 for the first)."""
        base = min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempts - 1))
        return base / 2 + rand() * base / 2

    def next_attempt(
        self,
        attempts: int,
        first_attempt_at: datetime,
        now: datetime,
        retry_after_s: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try again after a failed attempt, or None when the horizon has passed (the delivery fails).

        A Retry-After longer than our own delay is honoured, up to max_delay_s: a receiver may slow us down,
        not park a delivery for days."""
        delay = self.delay_s(attempts, rand)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.max_delay_s))
        at = now + timedelta(seconds=delay)
        if at - first_attempt_at > timedelta(seconds=self.horizon_s):
            return None
        return at
