"""The delivery service's settings (LEADRELAY_DELIVERY_*)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import DirectoryPath, Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from leadrelay.delivery.domain.retry import RetryPolicy
from leadrelay.delivery.domain.targets import Network, parse_networks
from leadrelay.service.access import Role
from leadrelay.settings import ServiceSettings, long_enough_keys, split_keys


class DeliverySettings(ServiceSettings):
    """The delivery service's configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_DELIVERY_", extra="ignore")

    port: int = Field(default=8006, ge=1, le=65535)
    database: str = "leadrelay_delivery"
    # Keys of backends that report outcomes (POST /v1/outcomes) besides CRMs with a sales key.
    backend_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Networks webhook targets may resolve to although they are private, loopback or link-local (comma-separated,
    # `10.0.0.0/8,127.0.0.1`): an in-house CRM. Everything else inside is refused, so a subscription cannot be
    # pointed at the cloud's metadata endpoint or an internal admin page.
    allowed_targets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # One attempt: how long to wait for the receiver, and the most of its answer read (the rest is dropped).
    request_timeout_s: float = Field(default=10.0, gt=0, le=60)
    max_response_bytes: int = Field(default=64 * 1024, ge=1024)
    # Retries: the first after about this long, doubling (with jitter) up to the cap, given up after the
    # horizon, when the subscription is disabled as failing.
    retry_first_delay_s: float = Field(default=5.0, gt=0)
    retry_max_delay_s: float = Field(default=3600.0, gt=0)
    retry_horizon_s: float = Field(default=24 * 3600.0, gt=0)
    # The dispatcher looks for due deliveries this often when idle, takes up to this many at once and has this
    # many requests in flight.
    dispatch_interval_s: float = Field(default=0.5, gt=0)
    dispatch_batch_size: int = Field(default=100, ge=1, le=1000)
    dispatch_concurrency: int = Field(default=20, ge=1, le=200)
    # After a rotation the old secret still signs (beside the new one) this long, while receivers switch over.
    secret_overlap_s: float = Field(default=24 * 3600.0, ge=0)

    # Subscriptions kept in version control (YAML), created at start when their name is new.
    subscriptions_path: FilePath | None = None

    # Email through SMTP; without a host nothing is mailed and email subscriptions are refused.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"  # "none" only for a relay on this host
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "Leadrelay <leadrelay@localhost>"
    # Reps are mailed about their own handoffs (and managers about their queues' late ones) without a
    # subscription, at the addresses the routing configuration gives them.
    notify_reps: bool = True
    # Templates a user changed (files named like the packaged ones); a file missing here is taken from the package.
    templates_dir: DirectoryPath | None = None
    # The links in an email ("contacted", "accept", "reject"): signed with link_secret, valid this long, opened
    # at public_url (where people's browsers reach this service), and acted on through routing's and the SLA
    # monitor's APIs with sales_key.
    public_url: str = Field(default="http://localhost:8006", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    link_secret: SecretStr | None = None
    link_ttl_hours: float = Field(default=72.0, gt=0, le=24 * 30)
    routing_url: str = Field(default="http://localhost:8003", pattern=r"^https?://\S+$")
    sla_monitor_url: str = Field(default="http://localhost:8004", pattern=r"^https?://\S+$")
    sales_key: SecretStr | None = None
    # Opening and using links, per client address (`limits` notation); behind a proxy, list it in
    # trusted_proxies (comma-separated IPs) so its X-Forwarded-For names the client.
    link_rate_limit: str = "60/minute"
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("allowed_targets", "backend_keys", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return split_keys(value)

    @field_validator("backend_keys")
    @classmethod
    def _backend_keys_long_enough(cls, value: list[str]) -> list[str]:
        return long_enough_keys(value)

    def role_keys(self) -> dict[Role, list[str]]:
        """The configured keys of each role, backends' included."""
        return {**super().role_keys(), Role.BACKEND: self.backend_keys}

    @field_validator("allowed_targets")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a typo stops the service here, naming the value
        return value

    @model_validator(mode="after")
    def _links_can_be_signed(self) -> DeliverySettings:
        if self.smtp_host and self.link_secret is None:
            raise ValueError(
                "LEADRELAY_DELIVERY_LINK_SECRET is needed to sign the links in emails (smtp_host is set)"
            )
        if self.smtp_host and self.sales_key is None:
            raise ValueError(
                "LEADRELAY_DELIVERY_SALES_KEY is needed to act on the links in emails (smtp_host is set): "
                "a sales key routing and the SLA monitor accept"
            )
        if self.link_secret is not None and len(self.link_secret.get_secret_value()) < 32:
            raise ValueError("LEADRELAY_DELIVERY_LINK_SECRET must be at least 32 characters")
        return self

    @property
    def email_enabled(self) -> bool:
        return self.smtp_host is not None

    @property
    def allowed_networks(self) -> list[Network]:
        return parse_networks(self.allowed_targets)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retry_first_delay_s, self.retry_max_delay_s, self.retry_horizon_s)
