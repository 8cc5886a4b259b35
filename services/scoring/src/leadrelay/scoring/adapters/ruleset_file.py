"""Loading a rule set from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from leadrelay.scoring.domain.rules import RuleSet, parse_ruleset


def load_ruleset(path: Path) -> RuleSet:
    """Read and validate a YAML rule set."""
    with path.open() as fh:
        return parse_ruleset(yaml.safe_load(fh))
