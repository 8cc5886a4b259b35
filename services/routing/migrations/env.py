"""Alembic environment for routing's database."""

from leadrelay.db.migrations import run_env
from leadrelay.routing.adapters.orm import metadata

run_env(metadata)
