"""Run the SLA monitor: `python -m leadrelay.sla_monitor`."""

from __future__ import annotations

from leadrelay.service.serve import serve
from leadrelay.settings import load_settings
from leadrelay.sla_monitor.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.sla_monitor.settings import SlaMonitorSettings


def main() -> None:
    """Start the SLA monitor with settings from the environment."""
    settings = load_settings(SlaMonitorSettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
