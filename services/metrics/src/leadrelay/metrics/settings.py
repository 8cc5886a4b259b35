"""The metrics service's settings (LEADRELAY_METRICS_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrelay.settings import ServiceSettings


class MetricsSettings(ServiceSettings):
    """The metrics service's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_METRICS_", extra="ignore")

    port: int = Field(default=8005, ge=1, le=65535)
    database: str = "leadrelay_metrics"
