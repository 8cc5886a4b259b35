"""Apache Kafka (KRaft) and PostgreSQL through testcontainers, when a Docker engine answers."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any


def docker_engine_answers() -> bool:
    """Return True when `docker info` reaches an engine (a client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class ContainerStack:
    """Kafka and PostgreSQL containers for one run."""

    def __init__(self) -> None:
        self._kafka: Any = None
        self._postgres: Any = None

    def start(self) -> ContainerStack:
        """Start both containers."""
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        self._kafka = KafkaContainer().with_kraft().start()
        self._postgres = PostgresContainer("postgres:16-alpine", driver=None).start()
        return self

    @property
    def bootstrap_servers(self) -> str:
        return str(self._kafka.get_bootstrap_server())

    @property
    def dsn(self) -> str:
        return str(self._postgres.get_connection_url())

    def stop(self) -> None:
        """Stop both containers."""
        for container in (self._kafka, self._postgres):
            if container is not None:
                container.stop()
