"""Loading the routing configuration from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from leadrelay.routing.domain.config import RoutingConfig


def load_config(path: Path) -> RoutingConfig:
    """Read and validate a YAML routing configuration."""
    with path.open() as fh:
        return RoutingConfig.model_validate(yaml.safe_load(fh))
