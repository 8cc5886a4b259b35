"""Run scoring: `python -m leadrelay.scoring`."""

from __future__ import annotations

from leadrelay.scoring.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main() -> None:
    """Start scoring with settings from the environment."""
    settings = load_settings(ScoringSettings)
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)


if __name__ == "__main__":
    main()
