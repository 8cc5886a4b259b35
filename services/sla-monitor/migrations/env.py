"""Alembic environment for the SLA monitor's database."""

from leadrelay.db.migrations import run_env
from leadrelay.sla_monitor.adapters.orm import metadata

run_env(metadata)
