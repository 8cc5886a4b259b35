"""Settings building blocks shared by every service (pydantic-settings, environment variables)."""

from __future__ import annotations

import ssl
import sys
from typing import Annotated, Any, Literal, TypeVar

from aiokafka.helpers import create_ssl_context
from pydantic import Field, FilePath, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from leadrelay.db.engine import ConnectionLimits
from leadrelay.events.topics import Topics
from leadrelay.service.access import Role


class KafkaSettings(BaseSettings):
    """Where the broker is and how to talk to it (LEADRELAY_KAFKA_*)."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    # acks=all with an idempotent producer: a retried batch is never written twice. The development kit turns it
    # off for the embedded Tansu broker, which cannot do InitProducerId.
    enable_idempotence: bool = True
    request_timeout_s: float = Field(default=10.0, gt=0)
    send_timeout_s: float = Field(default=15.0, gt=0)
    # The declared shape of every topic (leadrelay topics plan/apply): a service refuses to start on topics
    # shaped otherwise. Three copies, two of them written before a record counts, survive one broker lost.
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=3, ge=1)
    min_insync_replicas: int = Field(default=2, ge=1)
    # Events stay two weeks: a consumer down over a long weekend, or a new one, still reads them all.
    retention_ms: int = Field(default=14 * 24 * 3600 * 1000, ge=60_000)
    # Dead letters carry whole events (personal data): kept a week to look at and replay, then deleted.
    dlq_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=60_000)
    # Services create missing topics and fix their shape at start: a development convenience (make run, the
    # tests); in production the topics are applied once, by whoever may (leadrelay topics apply).
    create_topics: bool = False
    # The most a produced record batch holds (aiokafka's default is 16 KiB, about six LeadScored): a relay pass
    # goes out as one batch per partition, one produce request instead of many. Kafka's own limit is 1 MiB.
    producer_max_batch_bytes: int = Field(default=1_000_000, ge=16 * 1024, le=1_000_000)
    # A consumer that dies unannounced holds its partitions this long; 6 s is the least Kafka allows by default.
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1000, ge=100)
    # A fetch on the capture-to-handoff path answers at the first byte: Apache Kafka answers a waiting fetch as
    # soon as data lands, so the wait costs no latency, only an idle consumer's round trips (500 ms halves an
    # idle stack's broker CPU against 50 ms, docs/benchmarks.md). The relays already send events in batches, so
    # waiting for more bytes only held each hop back. The embedded Tansu broker's profile waits 50 ms.
    fetch_max_wait_ms: int = Field(default=500, ge=1, le=10000)
    fetch_min_bytes: int = Field(default=1, ge=1)
    # Consumers off the capture-to-handoff path (metrics, rarely used topics) fetch less often and in
    # bigger batches: every fetch costs the broker and the consumer per partition, and every batch one transaction.
    background_fetch_max_wait_ms: int = Field(default=500, ge=1, le=10000)
    background_fetch_min_bytes: int = Field(default=64 * 1024, ge=1)
    # How clients prove who they are and check the broker: SASL (PLAIN or SCRAM) and TLS, as on a production
    # cluster. Every client of a process (producer, consumers, admin, the CLI) gets the same settings.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: FilePath | None = None  # the CA that signed the brokers' certificates; none: the system's CAs
    ssl_certfile: FilePath | None = None  # a client certificate, for brokers that ask for one (mutual TLS)
    ssl_keyfile: FilePath | None = None
    ssl_key_password: SecretStr | None = None
    ssl_check_hostname: bool = True

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def _protocol(self) -> str:
        return f"{_kafka_env('security_protocol')}={self.security_protocol}"

    @model_validator(mode="after")
    def _security_is_whole(self) -> KafkaSettings:
        """Refuse half a security setup: SASL without credentials, or credentials a plaintext listener ignores."""
        if self.uses_sasl:
            for name in ("sasl_mechanism", "sasl_username", "sasl_password"):
                if not getattr(self, name):
                    raise ValueError(f"{_kafka_env(name)} is required when {self._protocol}")
        elif self.sasl_mechanism or self.sasl_username or self.sasl_password:
            raise ValueError(
                f"SASL credentials are set but {self._protocol}: use SASL_SSL (or SASL_PLAINTEXT)"
            )
        tls_files = [n for n in ("ssl_cafile", "ssl_certfile", "ssl_keyfile") if getattr(self, n)]
        if tls_files and not self.uses_tls:
            raise ValueError(f"{_kafka_env(tls_files[0])} is set but {self._protocol}: use SSL or SASL_SSL")
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"{_kafka_env('min_insync_replicas')}={self.min_insync_replicas} is more than "
                f"{_kafka_env('replication_factor')}={self.replication_factor}: no write could ever succeed"
            )
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError(f"{_kafka_env('ssl_keyfile')} needs {_kafka_env('ssl_certfile')}")
        if self.uses_tls:
            self.ssl_context()  # a CA file or key that cannot be read fails here, naming the setting
        return self

    def ssl_context(self) -> ssl.SSLContext:
        """Return the TLS context of every client: the configured CA (or the system's), an optional client key."""
        try:
            context = create_ssl_context(cafile=self.ssl_cafile)
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(
                f"{_kafka_env('ssl_cafile')}={self.ssl_cafile} holds no usable CA certificate: {exc}"
            ) from None
        if self.ssl_certfile:
            password = self.ssl_key_password.get_secret_value() if self.ssl_key_password else None
            try:
                context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile, password)
            except (ssl.SSLError, OSError) as exc:
                raise ValueError(
                    f"{_kafka_env('ssl_certfile')}={self.ssl_certfile} with its key cannot be used: {exc}"
                ) from None
        context.check_hostname = self.ssl_check_hostname
        return context

    def client_options(self) -> dict[str, Any]:
        """Return the connection options every aiokafka client of this process is built with."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            assert self.sasl_password is not None  # the validator insists on it
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        return options


def _kafka_env(field: str) -> str:
    """Return the environment variable of a Kafka setting, as messages name it."""
    return f"LEADRELAY_KAFKA_{field.upper()}"


class PostgresSettings(BaseSettings):
    """Which PostgreSQL server holds the services' databases (LEADRELAY_POSTGRES_*)."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_POSTGRES_", extra="ignore")

    dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    pool_size: int = Field(default=10, ge=1)
    # Every connection gives up instead of waiting forever on a database that stopped answering: a statement
    # is cancelled by the server after statement_timeout_ms, any driver call after command_timeout_s, and a
    # request waits at most pool_timeout_s for a free connection.
    statement_timeout_ms: int = Field(default=30_000, ge=100)
    command_timeout_s: float = Field(default=35.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    pool_timeout_s: float = Field(default=5.0, gt=0)

    def limits(self) -> ConnectionLimits:
        """Return the timeouts every service connection gets."""
        return ConnectionLimits(
            self.statement_timeout_ms, self.command_timeout_s, self.connect_timeout_s, self.pool_timeout_s
        )

    def database_url(self, database: str) -> str:
        """Return an asyncpg SQLAlchemy URL for one database on this server."""
        url = make_url(self.dsn).set(drivername="postgresql+asyncpg", database=database)
        return url.render_as_string(hide_password=False)


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set env_prefix to LEADRELAY_<SERVICE>_."""

    model_config = SettingsConfigDict(extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # A stable name of this replica (a StatefulSet pod's name, say), unique among the service's replicas: its
    # consumers join their groups as static members, so a replica restarted within the session timeout gets its
    # partitions back without a rebalance of the whole group; one that stays away holds them until the timeout.
    instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,100}$")
    database: str = "leadrelay"
    log_level: str = "INFO"
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_stall_timeout_s: float = Field(default=30.0, gt=0)
    # An event whose handler keeps failing with a transient error (the database or broker, by its cause chain)
    # restarts the consumer with a doubling backoff up to 30 s; after this many restarts on the same event it is
    # dead-lettered (about eight minutes by default), so it cannot block its partition for ever.
    consumer_max_transient_restarts: int = Field(default=20, ge=1)
    consumer_restart_backoff_s: float = Field(default=1.0, gt=0)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    # A busy outbox relay publishes at most once per this many milliseconds, in bigger batches; an idle one at once.
    # On Apache Kafka pacing only delays events (capture's relay hop took 44 ms at 50 ms, 22 ms at 0, for the same
    # broker CPU, docs/benchmarks.md); the embedded Tansu broker's profile paces capture's relay.
    outbox_min_pass_interval_ms: int = Field(default=0, ge=0, le=1000)
    # How often gauges computed from the database (SLA compliance, the funnel) are refreshed for /metrics.
    gauge_refresh_interval_s: float = Field(default=15.0, gt=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    # Keys per role (header X-API-Key), comma-separated, several at once for rotation; a role without keys is
    # refused. Admin keys may also come as X-Admin-Key. A sales key may name its queues: `KEY:enterprise|smb`.
    admin_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    viewer_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sales_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("admin_keys", "viewer_keys", "sales_keys", mode="before")
    @classmethod
    def _keys_comma_separated(cls, value: object) -> object:
        return split_keys(value)

    @field_validator("admin_keys", "viewer_keys", "sales_keys")
    @classmethod
    def _keys_long_enough(cls, value: list[str]) -> list[str]:
        return long_enough_keys(value)

    def role_keys(self) -> dict[Role, list[str]]:
        """Return the configured keys of each role."""
        return {Role.ADMIN: self.admin_keys, Role.VIEWER: self.viewer_keys, Role.SALES: self.sales_keys}

    @property
    def database_url(self) -> str:
        return self.postgres.database_url(self.database)


def split_keys(value: object) -> object:
    """Read a comma-separated environment value as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def long_enough_keys(keys: list[str]) -> list[str]:
    """Refuse keys shorter than 16 characters (a queue scope after `:` does not count)."""
    if any(len(key.partition(":")[0].strip()) < 16 for key in keys):
        raise ValueError("every key needs at least 16 characters")
    return keys


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Build settings from the environment, or exit with a message naming each bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        # a nested group (Kafka, PostgreSQL) is built from its own prefix and fails with its own model's name
        model = next((m for m in (cls, KafkaSettings, PostgresSettings) if m.__name__ == exc.title), cls)
        prefix = str(model.model_config.get("env_prefix", ""))
        for err in exc.errors():
            if err["loc"]:
                variable = prefix + "_".join(str(p) for p in err["loc"]).upper()
                print(f"invalid setting {variable}: {err['msg']}", file=sys.stderr)
            else:  # a rule over several settings names them itself
                print(f"invalid settings: {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        raise SystemExit(2) from exc
