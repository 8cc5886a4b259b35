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
    # The rule set file stored (and activated when none is) at start; later versions live in the database.
    ruleset_path: Path = DEFAULT_RULESET
    # Retrain by itself once this many outcomes arrived since the last model trained on outcomes.
    retrain_after_outcomes: int = Field(default=500, ge=10)
    # A retrained model is activated only when its ROC AUC on the latest fifth of the outcomes (trained on
    # the earlier ones) reaches this; the cross-validated figure stands in when that holdout has one class.
    retrain_activate_min_auc: float = Field(default=0.7, ge=0.5, le=1.0)
    # How often a replica checks for rule set and model versions activated through another replica.
    refresh_interval_s: float = Field(default=5.0, gt=0)
