"""Scoring's settings (LEADRELAY_SCORING_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrelay.settings import ServiceSettings

DEFAULT_RULESET = Path(__file__).resolve().parent / "rules" / "default.yaml"


class ScoringSettings(ServiceSettings):
    """Scoring's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_SCORING_", extra="ignore")

    port: int = Field(default=8002, ge=1, le=65535)
    database: str = "leadrelay_scoring"
    ruleset_path: Path = DEFAULT_RULESET
