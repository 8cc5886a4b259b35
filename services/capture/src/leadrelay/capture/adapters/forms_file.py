"""Loading forms from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from leadrelay.capture.domain.forms import FormsConfig


def load_forms(path: Path, demo_form_key: str | None = None) -> FormsConfig:
    """Read and validate the forms; demo_form_key (from the environment) replaces the demo form's key."""
    with path.open() as fh:
        config = FormsConfig.model_validate(yaml.safe_load(fh))
    if demo_form_key:
        for form in config.forms:
            if form.id == "demo":
                form.public_key = demo_form_key
    return config
