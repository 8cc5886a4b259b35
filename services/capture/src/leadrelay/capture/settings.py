"""Capture's settings (LEADRELAY_CAPTURE_*)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from leadrelay.settings import ServiceSettings, long_enough_keys, split_keys

DEFAULT_FORMS = Path(__file__).resolve().parent / "forms" / "forms.yaml"


class CaptureSettings(ServiceSettings):
    """Capture's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_CAPTURE_", extra="ignore")

    port: int = Field(default=8001, ge=1, le=65535)
    database: str = "leadrelay_capture"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Backend API keys, comma-separated; empty means only browser forms (with their public keys) can post.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    forms_path: Path = DEFAULT_FORMS
    demo_form_key: str | None = Field(default=None, description="overrides the demo form's public key")
    dedupe_window_days: float = Field(default=30, gt=0)
    rate_limit_per_ip: str = "60/minute"
    rate_limit_per_form: str = "600/minute"
    # A Turnstile/hCaptcha-style siteverify URL; when set, browser posts need a token (fails closed).
    captcha_verify_url: str | None = None
    captcha_secret: str | None = None
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs); others' headers are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Leads arrive one request at a time, so a busy relay waits to send them in fewer, bigger record batches: the
    # embedded broker keeps each batch as an object and lists them all on every fetch (docs/benchmarks.md).
    outbox_min_pass_interval_ms: int = Field(default=50, ge=0, le=1000)

    @field_validator("api_keys", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return split_keys(value)

    @field_validator("api_keys")
    @classmethod
    def _long_enough(cls, value: list[str]) -> list[str]:
        return long_enough_keys(value)

    @property
    def dedupe_window(self) -> timedelta:
        return timedelta(days=self.dedupe_window_days)
