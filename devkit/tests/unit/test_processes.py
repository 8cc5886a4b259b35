"""What a fixture starts never outlives it: the group is killed as one, and a child dies with its starter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leadrelay.devkit.processes import kill_group, spawn
from leadrelay.devkit.testing.waiting import wait_until

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="process groups and PR_SET_PDEATHSIG are Linux"
)

# Starts `sleep` (plainly, in its own group; or through spawn, in a group of its own), prints its pid, waits.
STARTER = """
import subprocess, sys, time
from leadrelay.devkit.processes import spawn
start = spawn if sys.argv[1] == "spawn" else subprocess.Popen
child = start(["sleep", "120"])
print(child.pid, flush=True)
time.sleep(120)
"""


def running(pid: int) -> bool:
    """True while pid exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def start_starter(how: str) -> tuple[subprocess.Popen[str], int]:
    starter = spawn([sys.executable, "-c", STARTER, how], stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    grandchild = int(starter.stdout.readline())
    assert running(grandchild)
    return starter, grandchild


async def test_killing_the_group_kills_what_its_leader_started():
    starter, grandchild = await start_starter("plain")
    kill_group(starter)
    assert starter.returncode is not None
    await wait_until(lambda: _gone(grandchild), timeout_s=10, what="the leader's child to die")


async def test_a_child_in_a_group_of_its_own_dies_with_the_process_that_started_it():
    starter, grandchild = await start_starter("spawn")
    kill_group(starter)  # the grandchild is not in this group: only the death signal reaches it
    await wait_until(lambda: _gone(grandchild), timeout_s=10, what="the orphan to die")


async def _gone(pid: int) -> bool:
    return not running(pid)
