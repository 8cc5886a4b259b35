"""Run scoring (`python -m leadrelay.scoring`), or train a model (`... train --csv FILE --target COLUMN`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from leadrelay.scoring.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.service.serve import prepare_database, serve
from leadrelay.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    """Start scoring, or train and register a conversion model."""
    parser = argparse.ArgumentParser(prog="leadrelay-scoring")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (the default)")
    train = sub.add_parser("train", help="train a conversion model from a labelled CSV and register it")
    train.add_argument("--csv", type=Path, required=True)
    train.add_argument("--target", required=True, help="the outcome column")
    train.add_argument("--positive", default="1", help="the target value that means converted (default 1)")
    train.add_argument("--map", action="append", default=[], metavar="COLUMN=NAME", help="rename a column")
    train.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="PATTERN",
        help="another leaky column name or glob, on top of the default deny list",
    )
    train.add_argument(
        "--keep-leaky",
        action="store_true",
        help="keep columns on the deny list (the model is flagged leaky and not activated)",
    )
    train.add_argument(
        "--feature-map",
        help="how live leads become the model's columns: a packaged map (x-education, native) or a YAML file; "
        "without one the model is registered but cannot be served",
    )
    train.add_argument("--activate", action="store_true", help="make the new version the active model")
    train.add_argument(
        "--unless-active",
        action="store_true",
        help="do nothing when a model is active already (for make run)",
    )
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--encoding")
    train.add_argument("--delimiter")
    args = parser.parse_args(argv)
    settings = load_settings(ScoringSettings)
    if args.command == "train":
        return asyncio.run(_train(args, settings))
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)
    return 0


async def _train(args: argparse.Namespace, settings: ScoringSettings) -> int:
    from leadrelay.db.engine import create_engine
    from leadrelay.scoring.adapters.model_registry import ModelRegistry
    from leadrelay.scoring.model.features import load_feature_map
    from leadrelay.scoring.training.dataset import load_csv
    from leadrelay.scoring.training.leakage import DEFAULT_DENY, leaky_columns
    from leadrelay.scoring.training.model import train

    if not args.csv.exists():
        print(f"no such file: {args.csv}", file=sys.stderr)
        return 2
    try:
        feature_map = load_feature_map(args.feature_map) if args.feature_map else None
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    await asyncio.to_thread(prepare_database, settings, MIGRATIONS)
    if args.unless_active:
        engine = create_engine(settings.database_url)
        try:
            active = await ModelRegistry(engine).active_version()
        finally:
            await engine.dispose()
        if active is not None:
            print(f"model {active} is active already; nothing to do")
            return 0
    mapping = dict(pair.split("=", 1) for pair in args.map)
    try:
        dataset = load_csv(
            args.csv,
            args.target,
            mapping=mapping,
            positive=args.positive,
            encoding=args.encoding,
            delimiter=args.delimiter,
        )
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for note in dataset.notes:
        print(note)
    leaky = leaky_columns(list(dataset.features.columns), (*DEFAULT_DENY, *args.deny))
    features = dataset.features
    if leaky and not args.keep_leaky:
        print(f"dropped columns that leak the outcome (known only after sales contact): {', '.join(leaky)}")
        features = features.drop(columns=leaky)
    elif leaky:
        print(
            f"WARNING: training WITH leaky columns {', '.join(leaky)}; the model is flagged and not activated",
            file=sys.stderr,
        )
    print(f"training on {features.shape[1]} features, {args.seed=} ...", flush=True)
    model = await asyncio.to_thread(train, features, dataset.labels, args.seed)
    metrics = model.metrics
    print(
        f"cross-validated ROC AUC {metrics['roc_auc']:.4f} (folds {metrics['roc_auc_folds']}, "
        f"std {metrics['roc_auc_std']:.4f}), PR AUC {metrics['pr_auc']:.4f}, Brier {metrics['brier']:.4f}"
    )
    now = datetime.now(UTC)
    version = f"m{now:%Y%m%d%H%M%S}-{args.seed}"
    activate = args.activate and not (leaky and args.keep_leaky)
    if args.activate and feature_map is None:
        print("not activated: a model needs --feature-map to score live leads", file=sys.stderr)
        activate = False
    engine = create_engine(settings.database_url)
    try:
        training = {
            "source": args.csv.name,
            "rows": len(dataset.labels),
            "positives": int(dataset.labels.sum()),
            "notes": dataset.notes,
            "mapping": mapping,
        }
        await ModelRegistry(engine).register(
            version,
            model,
            args.target,
            training,
            leaky if args.keep_leaky else [],
            now,
            activate=activate,
            feature_map=feature_map.model_dump(mode="json") if feature_map else None,
        )
    finally:
        await engine.dispose()
    print(f"registered model {version}" + (" (active)" if activate else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
