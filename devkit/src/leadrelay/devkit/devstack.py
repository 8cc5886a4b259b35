"""Running the six services as child processes (for `make run` and the system tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from leadrelay.devkit.processes import kill_group, spawn


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one service: its name, module, environment prefix and default port."""

    name: str
    module: str
    env_prefix: str
    port: int


SERVICES = (
    ServiceSpec("capture", "leadrelay.capture", "LEADRELAY_CAPTURE_", 8001),
    ServiceSpec("scoring", "leadrelay.scoring", "LEADRELAY_SCORING_", 8002),
    ServiceSpec("routing", "leadrelay.routing", "LEADRELAY_ROUTING_", 8003),
    ServiceSpec("sla-monitor", "leadrelay.sla_monitor", "LEADRELAY_SLA_MONITOR_", 8004),
    ServiceSpec("metrics", "leadrelay.metrics", "LEADRELAY_METRICS_", 8005),
    ServiceSpec("delivery", "leadrelay.delivery", "LEADRELAY_DELIVERY_", 8006),
)


class ServiceProcess:
    """One service running as a child process, its output in a log file."""

    def __init__(
        self, spec: ServiceSpec, env: dict[str, str], log_dir: Path, port: int | None = None
    ) -> None:
        self.spec = spec
        self.port = port or spec.port
        self.env = {**env, f"{spec.env_prefix}PORT": str(self.port)}
        self.log_path = log_dir / f"{spec.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process (its stdout and stderr go to the log file)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = spawn(
            [sys.executable, "-m", self.spec.module], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, deadline_s: float = 60.0) -> None:
        """Block until /readyz answers 200, or raise with the end of the log."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.spec.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.spec.name} not ready after {deadline_s}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the process and its group (a crash)."""
        if self.process is not None:
            kill_group(self.process)

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM the process and wait; SIGKILL it if it does not exit in time."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                pass
        if self.process is not None:
            kill_group(self.process)  # whatever is left of it, even after it exited on its own

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Stack:
    """The six services on one broker and one PostgreSQL server."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        ports: dict[str, int] | None = None,
        own_env: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """own_env: what differs per service (its broker credentials, say)."""
        ports, own_env = ports or {}, own_env or {}
        self.services = {
            s.name: ServiceProcess(s, {**env, **own_env.get(s.name, {})}, log_dir, ports.get(s.name))
            for s in SERVICES
        }

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def start(self, deadline_s: float = 90.0) -> None:
        """Start every service and wait until each is ready."""
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready(deadline_s)

    def stop(self) -> None:
        """Stop every service."""
        for service in self.services.values():
            if service.alive():
                assert service.process is not None
                service.process.send_signal(signal.SIGTERM)
        for service in self.services.values():
            service.stop()


def service_env(bootstrap_servers: str, postgres_dsn: str, **extra: str) -> dict[str, str]:
    """Return the environment the services need: this one plus where the infrastructure is."""
    return {
        **os.environ,
        "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "LEADRELAY_POSTGRES_DSN": postgres_dsn,
        # development: services create their topics (production applies them with `leadrelay topics apply`)
        "LEADRELAY_KAFKA_CREATE_TOPICS": os.environ.get("LEADRELAY_KAFKA_CREATE_TOPICS", "true"),
        **extra,
    }


def email_env(smtp_port: int, ports: dict[str, int]) -> dict[str, str]:
    """Delivery's email settings for a stack on this machine (its link secret and sales key aside): a mailbox on
    loopback, links opened on delivery's port and acted on through routing's and the SLA monitor's."""
    return {
        "LEADRELAY_DELIVERY_SMTP_HOST": "127.0.0.1",
        "LEADRELAY_DELIVERY_SMTP_PORT": str(smtp_port),
        "LEADRELAY_DELIVERY_SMTP_SECURITY": "none",
        "LEADRELAY_DELIVERY_PUBLIC_URL": f"http://127.0.0.1:{ports['delivery']}",
        "LEADRELAY_DELIVERY_ROUTING_URL": f"http://127.0.0.1:{ports['routing']}",
        "LEADRELAY_DELIVERY_SLA_MONITOR_URL": f"http://127.0.0.1:{ports['sla-monitor']}",
    }
