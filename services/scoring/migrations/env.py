"""Alembic environment for scoring's database."""

from leadrelay.db.migrations import run_env
from leadrelay.scoring.adapters.orm import metadata

run_env(metadata)
