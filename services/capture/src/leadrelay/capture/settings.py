"""Capture's settings (LEADRELAY_CAPTURE_*)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from limits import parse
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from leadrelay.service.access import Role
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
    # The demo form and GET /demo are a development feature: off unless enabled (make run enables them), and
    # then the demo form's public key must be configured; there is no default key.
    demo: bool = False
    demo_form_key: str | None = Field(default=None, min_length=16, max_length=100)
    dedupe_window_days: float = Field(default=30, gt=0)
    # Backpressure: at most this many leads wait for the group commit, each at most this long; beyond either,
    # capture answers 503 with Retry-After at once instead of holding the request while the database is stuck.
    intake_max_queued: int = Field(default=5000, ge=1)
    # Double opt-in: links a backend asks for (POST /v1/consent-confirmations) are signed with this secret and
    # valid this long; without a secret, no links are issued.
    consent_secret: str | None = Field(default=None, min_length=32)
    consent_link_ttl_hours: float = Field(default=72, gt=0)
    # How long a backend's Idempotency-Key is remembered (a retry after that creates or merges as any post).
    idempotency_keep_hours: float = Field(default=24, gt=0)
    intake_deadline_s: float = Field(default=5.0, gt=0)
    rate_limit_per_ip: str = "60/minute"
    rate_limit_per_form: str = "600/minute"
    # Each backend API key's own quota: well above what a CRM sync sends, so only a runaway client meets it.
    rate_limit_per_backend_key: str = "60000/minute"
    # A Turnstile/hCaptcha-style siteverify URL; when set, browser posts need a token (fails closed).
    captcha_verify_url: str | None = None
    captcha_secret: str | None = None
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs); others' headers are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("api_keys", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return split_keys(value)

    @field_validator("api_keys")
    @classmethod
    def _long_enough(cls, value: list[str]) -> list[str]:
        return long_enough_keys(value)

    @model_validator(mode="after")
    def _demo_has_a_key(self) -> CaptureSettings:
        if self.demo and not self.demo_form_key:
            raise ValueError("LEADRELAY_CAPTURE_DEMO needs LEADRELAY_CAPTURE_DEMO_FORM_KEY (16+ characters)")
        return self

    @field_validator("rate_limit_per_ip", "rate_limit_per_form", "rate_limit_per_backend_key")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate like 60/minute: {value!r}") from exc
        return value

    def role_keys(self) -> dict[Role, list[str]]:
        """Return the configured keys of each role, backends' API keys included."""
        return {**super().role_keys(), Role.BACKEND: self.api_keys}

    @property
    def dedupe_window(self) -> timedelta:
        return timedelta(days=self.dedupe_window_days)
