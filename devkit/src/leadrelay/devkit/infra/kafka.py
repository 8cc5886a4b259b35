"""Apache Kafka's own server, resolved from Maven Central: one KRaft node (broker and controller together) on
127.0.0.1, its log in a work directory, stopped with what started it."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from leadrelay.devkit.infra.broker_process import BrokerProcess
from leadrelay.devkit.infra.kafka_security import SecuredListener
from leadrelay.devkit.infra.net import free_port, wait_for_port
from leadrelay.devkit.processes import kill_group, spawn

KAFKA_VERSION = "4.4.0"
JARS_DIR = Path(os.environ.get("LEADRELAY_KAFKA_JARS_DIR", f".leadrelay/kafka-{KAFKA_VERSION}"))
POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.leadrelay</groupId>
  <artifactId>kafka-server</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <!-- the server logs through SLF4J 1.7: without a binding it says nothing at all -->
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
"""


class KafkaUnavailable(RuntimeError):
    """Java 17+ or Maven is missing, or the server's jars could not be resolved."""


def java_major() -> int | None:
    """Return the major version of the `java` on PATH, or None without one."""
    if shutil.which("java") is None:
        return None
    shown = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr
    found = re.search(r'version "(\d+)', shown)
    return int(found.group(1)) if found else None


def kafka_runnable() -> bool:
    """True when Apache Kafka can be resolved and run here: Java 17 or newer and Maven."""
    major = java_major()
    return major is not None and major >= 17 and shutil.which("mvn") is not None


def resolve_jars(home: Path = JARS_DIR) -> Path:
    """Return the directory of the server's jars, resolving them from Maven Central the first time."""
    # a directory per POM: a changed one resolves afresh, with no jar of the old set left on the class path
    libs = home.resolve() / f"libs-{hashlib.sha256(POM.encode()).hexdigest()[:12]}"
    done = libs / ".resolved"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one resolution at a time (make run beside a test run)
        if done.exists():
            return libs
        (home / "pom.xml").write_text(POM)
        resolved = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(home / "pom.xml"), "dependency:copy-dependencies",
             f"-DoutputDirectory={libs}"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if resolved.returncode != 0:
            raise KafkaUnavailable(
                f"mvn could not resolve Apache Kafka {KAFKA_VERSION}: {resolved.stdout[-2000:]}"
            )
        done.touch()
    return libs


def cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, not starting with "-" (the storage
    tool would read it as an option)."""
    while (found := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return found


class KafkaServer(BrokerProcess):
    """An Apache Kafka child process: one combined broker and controller, replication factor 1; plaintext, or
    SASL_SSL with ACLs when given a SecuredListener. A KafkaCluster makes several, as the nodes of one quorum."""

    kind = f"Apache Kafka {KAFKA_VERSION} (KRaft, from Maven Central)"
    shutdown_s = 20.0

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        security: SecuredListener | None = None,
        *,
        node_id: int = 1,
        voters: str | None = None,
        controller_port: int | None = None,
        copies: int = 1,
    ) -> None:
        """voters: the static controller quorum (`1@host:port,...`) of a cluster; copies: its replication factor."""
        super().__init__(port)
        self.controller_port = controller_port or free_port()
        self.workdir = workdir / f"kafka-{self.port}"
        self.security = security
        self.node_id, self.voters, self.copies = node_id, voters, copies

    def _properties(self) -> Path:
        listener = "SASL_SSL" if self.security else "PLAINTEXT"
        copies, in_sync = str(self.copies), str(min(self.copies, 2))
        quorum = (
            {"controller.quorum.voters": self.voters}
            if self.voters
            else {"controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}"}
        )
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            **quorum,
            "listeners": f"{listener}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{listener}://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.workdir / "data"),
            "num.partitions": "3",
            "default.replication.factor": copies,
            "min.insync.replicas": in_sync,
            "offsets.topic.replication.factor": copies,
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": copies,
            "transaction.state.log.min.isr": in_sync,
            "share.coordinator.state.topic.replication.factor": copies,
            "share.coordinator.state.topic.min.isr": in_sync,
            # A new consumer group need not wait for more members to join before its first assignment.
            "group.initial.rebalance.delay.ms": "0",
            # The tests take a dead consumer out of its group within 3 s (Kafka refuses under 6 s by default).
            "group.min.session.timeout.ms": "1000",
            # the tests' throwaway topics appear on first use; a secured cluster has only declared ones
            "auto.create.topics.enable": "false" if self.security else "true",
            **(self.security.properties() if self.security else {}),
        }
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return path

    def _java(self) -> list[str]:
        heap = "-Xmx1g" if self.copies == 1 else "-Xmx512m"  # a cluster's nodes share the machine
        # C1 only: a fresh broker's C2 compiler threads took half its CPU (20% of a core) for minutes under load,
        # out of the services' share on a small machine; C1's code is a little slower but compiled at once
        # (41% of a core became 23% at 200 leads/s, docs/benchmarks.md). A production broker runs for weeks.
        return [
            "java", "-Xms256m", heap, "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp", f"{resolve_jars()}/*",
        ]  # fmt: skip

    def format(self, cluster: str) -> None:
        """Write the node's settings and format its storage as a node of cluster."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        properties = self._properties()
        alone = [] if self.voters else ["--standalone"]
        with open(self.workdir / "server.log", "ab") as log:
            formatted = subprocess.run(
                [*self._java(), "kafka.tools.StorageTool", "format", *alone, "-t", cluster, "-c", str(properties),
                 *(self.security.format_arguments() if self.security else [])],
                stdout=log, stderr=subprocess.STDOUT, timeout=120,
            )  # fmt: skip
        if formatted.returncode != 0:
            raise KafkaUnavailable(f"formatting Kafka's storage failed: see {self.workdir / 'server.log'}")

    def launch(self) -> None:
        """Start the formatted node (again, after a stop or a kill); its data is kept."""
        log = open(self.workdir / "server.log", "ab")
        properties = str(self.workdir / "server.properties")
        self.process = spawn([*self._java(), "kafka.Kafka", properties], stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL the node, as a crashed machine would stop."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def start(self, deadline_s: float = 90.0) -> KafkaServer:
        """Resolve the jars, format the node's storage, start it and wait until it accepts connections."""
        self.format(cluster_id())
        self.launch()
        try:
            wait_for_port("127.0.0.1", self.port, deadline_s)
        except Exception:
            self.stop()
            raise
        return self


class KafkaCluster:
    """Several combined KRaft nodes (three by default) on 127.0.0.1: replication factor 3, min.insync.replicas 2."""

    def __init__(self, workdir: Path, size: int = 3) -> None:
        controllers = [free_port() for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{port}" for i, port in enumerate(controllers))
        self.nodes = {
            i + 1: KafkaServer(workdir, node_id=i + 1, voters=voters, controller_port=port, copies=size)
            for i, port in enumerate(controllers)
        }
        self.kind = f"Apache Kafka {KAFKA_VERSION}, {size} KRaft nodes"
        in_sync = str(min(size, 2))
        self.client_profile = {
            "LEADRELAY_KAFKA_REPLICATION_FACTOR": str(size),
            "LEADRELAY_KAFKA_MIN_INSYNC_REPLICAS": in_sync,
            "LEADRELAY_KAFKA_CREATE_TOPICS": "true",
        }

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes.values())

    def start(self, deadline_s: float = 120.0) -> KafkaCluster:
        """Format every node as one cluster, start them all and wait until each accepts connections."""
        cluster = cluster_id()
        for node in self.nodes.values():
            node.format(cluster)
        for node in self.nodes.values():
            node.launch()
        try:
            for node in self.nodes.values():
                wait_for_port("127.0.0.1", node.port, deadline_s)
        except Exception:
            self.stop()
            raise
        return self

    def node_at(self, port: int) -> KafkaServer:
        """Return the node listening on port."""
        return next(node for node in self.nodes.values() if node.port == port)

    def restart(self, node_id: int, deadline_s: float = 90.0) -> None:
        """Start a stopped or killed node again and wait until it accepts connections."""
        node = self.nodes[node_id]
        node.launch()
        wait_for_port("127.0.0.1", node.port, deadline_s)

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes.values():
            node.stop()
