"""Alembic environment for delivery's database."""

from leadrelay.db.migrations import run_env
from leadrelay.delivery.adapters.orm import metadata

run_env(metadata)
