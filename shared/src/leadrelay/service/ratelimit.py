"""A sliding-window counter per key: O(1) per hit, no threads, time passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Window:
    index: int  # which fixed window `current` counts (time // period)
    current: int
    previous: int


class SlidingWindowCounter:
    """At most `limit` hits per `period_s` per key, the previous window weighted by how much of it overlaps.

    This is the sliding-window-counter approximation (as Cloudflare and the `limits` package describe it):
    two counters per key instead of a timestamp per hit, so memory stays flat under a flood.
    """

    def __init__(self, limit: int, period_s: float) -> None:
        if limit < 1 or period_s <= 0:
            raise ValueError("a limit needs at least one hit per positive period")
        self.limit = limit
        self.period_s = period_s
        self._windows: dict[str, _Window] = {}
        self._swept_index = 0

    def hit(self, key: str, now: float) -> float | None:
        """Count a hit of key at now; return None when allowed, else the seconds until one would be."""
        index = int(now // self.period_s)
        self._sweep(index)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(index, 0, 0)
        elif window.index != index:
            window.previous = window.current if window.index == index - 1 else 0
            window.current = 0
            window.index = index
        elapsed = now / self.period_s - index  # fraction of the current window gone, 0..1
        if window.previous * (1 - elapsed) + window.current + 1 > self.limit:
            return self._retry_after(window, elapsed)
        window.current += 1
        return None

    def _retry_after(self, window: _Window, elapsed: float) -> float:
        """Seconds until a hit would fit, if no other hit came meanwhile."""
        room = self.limit - 1 - window.current  # what the previous window's weight must fall to
        if room >= 0 and window.previous > 0:
            needed = 1 - room / window.previous  # fraction of this window that must be gone
            return max(needed - elapsed, 0.0) * self.period_s
        # This window alone is full: wait into the next one until this one's weight has decayed enough.
        needed_next = 1 - (self.limit - 1) / window.current if window.current else 0.0
        return (1 - elapsed + max(needed_next, 0.0)) * self.period_s

    def _sweep(self, index: int) -> None:
        """Once per window, drop keys idle for two windows (they no longer weigh anything)."""
        if index == self._swept_index:
            return
        self._swept_index = index
        self._windows = {k: w for k, w in self._windows.items() if w.index >= index - 1}

    def __len__(self) -> int:
        return len(self._windows)


def retry_after_header(seconds: float) -> str:
    """Return a Retry-After value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds - 1e-9)))  # 62.000000001 is 62 s, not 63
