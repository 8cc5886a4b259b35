"""Run scoring (`python -m leadrelay.scoring`), or train a model (`... train --csv FILE --target COLUMN`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from leadrelay.scoring.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.scoring.training.cli import add_arguments
from leadrelay.scoring.training.cli import run as train
from leadrelay.service.serve import serve
from leadrelay.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    """Start scoring, or train and register a conversion model."""
    parser = argparse.ArgumentParser(prog="leadrelay-scoring")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (the default)")
    add_arguments(
        sub.add_parser("train", help="train a conversion model from a labelled CSV and register it")
    )
    args = parser.parse_args(argv)
    settings = load_settings(ScoringSettings)
    if args.command == "train":
        return asyncio.run(train(args, settings))
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
