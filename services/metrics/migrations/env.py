"""Alembic environment for metrics's database."""

from leadrelay.db.migrations import run_env
from leadrelay.metrics.adapters.orm import metadata

run_env(metadata)
