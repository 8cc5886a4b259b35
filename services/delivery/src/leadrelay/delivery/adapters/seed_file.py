"""The subscriptions file (LEADRELAY_DELIVERY_SUBSCRIPTIONS_PATH): subscriptions kept in version control beside
the other configuration, created at start when their name is new (what the admin API changed since wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadrelay.delivery.domain.signing import check_secret
from leadrelay.delivery.domain.subscriptions import SubscriptionSpec


class SeedProblem(ValueError):
    """The subscriptions file cannot be used; the message names the file, the entry and the field."""


class SeededSubscription(SubscriptionSpec):
    """A subscription as the file writes it: the API's fields, and where its secret is (never in the file)."""

    secret_env: str | None = Field(
        default=None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="an environment variable holding its whsec_ secret; none: one is made (rotate to read it)",
    )

    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec.model_validate(self.model_dump(exclude={"secret_env"}))


class SubscriptionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriptions: list[SeededSubscription] = Field(default_factory=list)


def load_seed(
    path: Path, environ: Mapping[str, str] = os.environ
) -> list[tuple[SubscriptionSpec, str | None]]:
    """Each subscription of the file with its secret (from the environment), or SeedProblem."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        seeded = SubscriptionsFile.model_validate(raw).subscriptions
    except (OSError, yaml.YAMLError) as exc:
        raise SeedProblem(f"{path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SeedProblem(f"{path}: {where}: {first['msg']}") from None
    names = [s.name for s in seeded]
    if len(set(names)) != len(names):
        raise SeedProblem(f"{path}: a subscription name appears twice")
    found = []
    for index, entry in enumerate(seeded):
        secret = None
        if entry.secret_env:
            value = environ.get(entry.secret_env)
            if not value:
                raise SeedProblem(f"{path}: subscriptions.{index}.secret_env: {entry.secret_env} is not set")
            try:
                secret = check_secret(value)
            except ValueError as exc:
                raise SeedProblem(
                    f"{path}: subscriptions.{index}.secret_env: {entry.secret_env}: {exc}"
                ) from None
        found.append((entry.spec(), secret))
    return found
