"""What every broker the dev kit starts has in common: a child process on 127.0.0.1 that can be frozen, thawed
and stopped with everything it started."""

from __future__ import annotations

import contextlib
import signal
import subprocess

from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.processes import kill_group


class BrokerProcess:
    """A broker child process listening on 127.0.0.1:port."""

    kind = "a local broker"
    # Settings clients need for this broker: one node holds one copy of each topic, and the services create
    # their topics at start (a development convenience; production applies them with `leadrelay topics apply`).
    client_profile: dict[str, str] = {
        "LEADRELAY_KAFKA_REPLICATION_FACTOR": "1",
        "LEADRELAY_KAFKA_MIN_INSYNC_REPLICAS": "1",
        "LEADRELAY_KAFKA_CREATE_TOPICS": "true",
    }
    shutdown_s = 5.0  # how long a clean shutdown may take before the group is killed

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP), as a hung broker would be."""
        if self.process:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze the broker (SIGCONT)."""
        if self.process:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker: a clean shutdown, then whatever is left of its process group."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(self.shutdown_s)
        if self.process is not None:
            kill_group(self.process)
        self.process = None
