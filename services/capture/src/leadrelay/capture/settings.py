"""Capture's settings (LEADRELAY_CAPTURE_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrelay.settings import ServiceSettings


class CaptureSettings(ServiceSettings):
    """Capture's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_CAPTURE_", extra="ignore")

    port: int = Field(default=8001, ge=1, le=65535)
    database: str = "leadrelay_capture"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
