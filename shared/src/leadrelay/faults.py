"""Fault injection points, inert unless LEADRELAY_FAULT_POINT names one (used by the fault suite only).

The points: `after_commit_before_publish` (outbox rows committed, the relay dies before sending them),
`after_publish_before_mark` (sent, not yet marked sent: they go out again), `after_handle_before_commit`
(a consumer's DB transaction committed, its offset not: the batch is redelivered and the inbox dedupes),
`after_send_before_record` (delivery's dispatcher made its attempts, not yet recorded: they go out again
under the same webhook-id once the lease ends).
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after_commit_before_publish",
    "after_publish_before_mark",
    "after_handle_before_commit",
    "after_send_before_record",
)

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
