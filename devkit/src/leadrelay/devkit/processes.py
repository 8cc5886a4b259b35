"""Child processes that never outlive what started them: each leads its own process group, which is killed
as one, and on Linux each is sent SIGTERM when the thread that started it dies (even by SIGKILL)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1
# Resolved once here: preexec_fn runs between fork and exec, where importing or loading anything can deadlock.
_prctl = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(args: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start args in a process group of its own that ends when this process ends."""
    # A process group, not a session: with the kernel's autogroup scheduling every session gets an equal share
    # of the CPU, which would give each service the share of everything else put together on a busy machine.
    return subprocess.Popen(args, process_group=0, preexec_fn=_die_with_parent, **popen)


def signal_group(process: subprocess.Popen[Any], sig: int) -> None:
    """Send sig to every process of the group process leads (what it started too, unless they left it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def kill_group(process: subprocess.Popen[Any], timeout_s: float = 10.0) -> None:
    """SIGKILL the whole group and reap its leader."""
    signal_group(process, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout_s)
