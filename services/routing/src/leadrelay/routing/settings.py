"""Routing's settings (LEADRELAY_ROUTING_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrelay.settings import ServiceSettings

SEED_CONFIG = Path(__file__).resolve().parent / "config" / "seed.yaml"


class RoutingSettings(ServiceSettings):
    """Routing's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_ROUTING_", extra="ignore")

    port: int = Field(default=8003, ge=1, le=65535)
    database: str = "leadrelay_routing"
    # The configuration file stored (and activated when none is) at start; later versions live in the database.
    config_path: Path = SEED_CONFIG
    refresh_interval_s: float = Field(default=5.0, gt=0)
