"""Loading forms from YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from leadrelay.capture.domain.forms import Form, FormsConfig

DEMO_FORM = Path(__file__).resolve().parents[1] / "forms" / "demo.yaml"


def load_forms(path: Path) -> FormsConfig:
    """Read and validate the forms file."""
    with path.open() as fh:
        return FormsConfig.model_validate(yaml.safe_load(fh) or {"forms": []})


def demo_form(public_key: str) -> Form:
    """Return the demo form with its public key (a development feature, seeded only when enabled)."""
    with DEMO_FORM.open() as fh:
        return Form.model_validate({**yaml.safe_load(fh), "public_key": public_key})
