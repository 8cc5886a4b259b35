"""Fault injection points, inert unless LEADRELAY_FAULT_POINT names one (used by fault tests only)."""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


async def fault_point(name: str) -> None:
    """SIGKILL this process the Nth time `name` is reached, when LEADRELAY_FAULT_POINT=name[:N]."""
    wanted = os.environ.get("LEADRELAY_FAULT_POINT")
    if not wanted:
        return
    point, _, after = wanted.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(after or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
