"""SLA monitor's settings (LEADRELAY_SLA_MONITOR_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrelay.settings import ServiceSettings

DEFAULT_POLICIES = Path(__file__).resolve().parent / "policies" / "default.yaml"


class SlaMonitorSettings(ServiceSettings):
    """The SLA monitor's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_SLA_MONITOR_", extra="ignore")

    port: int = Field(default=8004, ge=1, le=65535)
    database: str = "leadrelay_sla_monitor"
    breach_poll_interval_s: float = Field(default=0.25, gt=0)
    breach_batch_size: int = Field(default=200, ge=1)
    # The policy file stored (and activated when none is) at start; later versions come through /v1/policies.
    policies_path: Path = DEFAULT_POLICIES
    refresh_interval_s: float = Field(default=5.0, gt=0)
