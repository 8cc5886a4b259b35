"""Run capture: `python -m leadrelay.capture`."""

from __future__ import annotations

from leadrelay.capture.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.capture.settings import CaptureSettings
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main() -> None:
    """Start capture with settings from the environment."""
    settings = load_settings(CaptureSettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
