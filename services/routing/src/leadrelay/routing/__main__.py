"""Run routing: `python -m leadrelay.routing`."""

from __future__ import annotations

from leadrelay.routing.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.routing.settings import RoutingSettings
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main() -> None:
    """Start routing with settings from the environment."""
    settings = load_settings(RoutingSettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
