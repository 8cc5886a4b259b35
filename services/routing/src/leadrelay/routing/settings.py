"""Routing's settings (LEADRELAY_ROUTING_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from leadrelay.settings import ServiceSettings, long_enough_keys, split_keys

SEED_CONFIG = Path(__file__).resolve().parent / "config" / "seed.yaml"


class RoutingSettings(ServiceSettings):
    """Routing's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_ROUTING_", extra="ignore")

    port: int = Field(default=8003, ge=1, le=65535)
    database: str = "leadrelay_routing"
    # The configuration file stored (and activated when none is) at start; later versions live in the database.
    config_path: Path = SEED_CONFIG
    # Keys sales tools use (X-API-Key) to accept or reject handoffs, comma-separated; empty disables that.
    sales_api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    refresh_interval_s: float = Field(default=5.0, gt=0)

    @field_validator("sales_api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return split_keys(value)

    @field_validator("sales_api_keys")
    @classmethod
    def _long_enough(cls, value: list[str]) -> list[str]:
        return long_enough_keys(value)
