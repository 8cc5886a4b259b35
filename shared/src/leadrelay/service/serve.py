"""Starting a service process: logging, database, migrations, then uvicorn."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import structlog
import uvicorn
from fastapi import FastAPI

from leadrelay.db.migrations import upgrade
from leadrelay.db.provision import ensure_database
from leadrelay.observability.logging import configure_logging
from leadrelay.settings import ServiceSettings

log = structlog.get_logger(__name__)


def prepare_database(settings: ServiceSettings, migrations: Path) -> None:
    """Create the service's database if needed and migrate it to head."""
    asyncio.run(ensure_database(settings.postgres.dsn, settings.database))
    upgrade(settings.database_url, migrations)


def serve(
    service: str, settings: ServiceSettings, build_app: Callable[[], FastAPI], migrations: Path
) -> None:
    """Run one service until SIGINT/SIGTERM."""
    configure_logging(service, settings.log_level)
    prepare_database(settings, migrations)
    log.info("starting", port=settings.port, database=settings.database)
    try:
        app = build_app()
    except ValueError as exc:  # a configuration file it cannot start with: say what and where, no traceback
        print(f"{service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
