"""Alembic environment for capture's database."""

from leadrelay.capture.adapters.orm import metadata
from leadrelay.db.migrations import run_env

run_env(metadata)
