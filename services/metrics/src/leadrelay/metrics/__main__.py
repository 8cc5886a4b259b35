"""Run metrics: `python -m leadrelay.metrics`."""

from __future__ import annotations

from leadrelay.metrics.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main() -> None:
    """Start metrics with settings from the environment."""
    settings = load_settings(MetricsSettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
