"""Run delivery: `python -m leadrelay.delivery`."""

from __future__ import annotations

from leadrelay.delivery.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main() -> None:
    """Start delivery with settings from the environment."""
    settings = load_settings(DeliverySettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
