"""Creating and dropping service databases on a PostgreSQL server."""

from __future__ import annotations

import re

import asyncpg
from sqlalchemy.engine import make_url

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _admin_dsn(server_dsn: str) -> str:
    url = make_url(server_dsn).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def _checked(name: str) -> str:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    return name


async def ensure_database(server_dsn: str, name: str) -> bool:
    """Create database `name` if it does not exist; return True when created."""
    conn = await asyncpg.connect(_admin_dsn(server_dsn), timeout=10)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        await conn.execute(f'CREATE DATABASE "{_checked(name)}"')
        return True
    finally:
        await conn.close()


async def drop_database(server_dsn: str, name: str) -> None:
    """Drop database `name`, disconnecting its sessions first."""
    conn = await asyncpg.connect(_admin_dsn(server_dsn), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
    finally:
        await conn.close()
