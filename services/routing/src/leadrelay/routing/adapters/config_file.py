"""Loading the routing configuration from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from leadrelay.routing.domain.config import RoutingConfig, config_problems


class ConfigFileError(ValueError):
    """The configuration file cannot be used: every problem with its path in the document."""


def load_config(path: Path) -> RoutingConfig:
    """Read and validate a YAML routing configuration; ConfigFileError lists what is wrong and where."""
    try:
        with path.open() as fh:
            document = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigFileError(f"routing configuration {path}: {exc}") from exc
    try:
        return RoutingConfig.model_validate(document)
    except ValidationError as exc:
        lines = [f"  {p['field']}: {p['reason']}" for p in config_problems(exc)]
        raise ConfigFileError(f"routing configuration {path} is invalid:\n" + "\n".join(lines)) from exc
