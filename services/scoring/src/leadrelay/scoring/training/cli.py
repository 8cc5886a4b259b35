"""`leadrelay-scoring train`: a labelled CSV in, a checked model registered (or refused with the reason)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadrelay.scoring.settings import ScoringSettings


def add_arguments(train: argparse.ArgumentParser) -> None:
    """Declare the train command's options."""
    train.add_argument("--csv", type=Path, required=True)
    train.add_argument("--target", required=True, help="the outcome column")
    train.add_argument(
        "--positive",
        help="the target value that means converted; needed unless the values are 1/0, true/false, yes/no, "
        "won/lost or converted/not converted",
    )
    train.add_argument("--map", action="append", default=[], metavar="COLUMN=NAME", help="rename a column")
    train.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="PATTERN",
        help="another leaky column name or glob, on top of the default deny list",
    )
    train.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="COLUMN",
        help="keep a column the deny list would drop: you know it is set before sales contact",
    )
    train.add_argument(
        "--keep-leaky",
        action="store_true",
        help="keep columns on the deny list (the model is flagged leaky and not activated)",
    )
    order = train.add_mutually_exclusive_group()
    order.add_argument(
        "--time-column",
        metavar="COLUMN",
        help="when each row happened: the latest 20%% are held out to measure the model on leads after it",
    )
    order.add_argument("--ordered", action="store_true", help="the rows are in time order (oldest first)")
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


async def run(args: argparse.Namespace, settings: ScoringSettings) -> int:
    """Train, check and register; 2 for bad input, 1 for a refused model, 0 when registered."""
    from leadrelay.scoring.bootstrap import MIGRATIONS
    from leadrelay.scoring.model.features import load_feature_map
    from leadrelay.scoring.training.dataset import load_csv
    from leadrelay.scoring.training.model import ModelRefused, train
    from leadrelay.service.serve import prepare_database

    if not args.csv.exists():
        print(f"no such file: {args.csv}", file=sys.stderr)
        return 2
    try:
        feature_map = load_feature_map(args.feature_map) if args.feature_map else None
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.unless_active:
        await asyncio.to_thread(prepare_database, settings, MIGRATIONS)
        if (active := await _active_version(settings)) is not None:
            print(f"model {active} is active already; nothing to do")
            return 0
    try:
        mapping = _pairs(args.map)
        dataset = load_csv(
            args.csv,
            args.target,
            mapping=mapping,
            positive=args.positive,
            encoding=args.encoding,
            delimiter=args.delimiter,
            time_column=args.time_column,
            ordered=args.ordered,
        )
        features, leaky = _screen(dataset.features, args)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for note in dataset.notes:
        print(note)
    if not args.unless_active:  # bad input is refused before the database is touched
        await asyncio.to_thread(prepare_database, settings, MIGRATIONS)
    print(f"training on {features.shape[1]} columns: {', '.join(map(str, features.columns))}", flush=True)
    try:
        model = await asyncio.to_thread(train, features, dataset.labels, args.seed, 5, dataset.order)
    except ModelRefused as exc:
        print(f"model refused, nothing registered: {exc}", file=sys.stderr)
        return 1
    _report(model.metrics)
    activate = args.activate and not leaky
    if args.activate and feature_map is None:
        print("not activated: a model needs --feature-map to score live leads", file=sys.stderr)
        activate = False
    training = {
        "source": args.csv.name,
        "rows": len(dataset.labels),
        "positives": int(dataset.labels.sum()),
        "notes": dataset.notes,
        "mapping": mapping,
        "allowed": list(args.allow),
        "time_column": args.time_column,
        "ordered": bool(args.ordered),
    }
    version = await _register(settings, model, args, training, leaky, activate, feature_map)
    print(f"registered model {version}" + (" (active)" if activate else ""))
    return 0


def _pairs(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise ValueError(f"--map {bad[0]!r}: expected COLUMN=NAME")
    return dict(p.split("=", 1) for p in pairs)


def _screen(features: Any, args: argparse.Namespace) -> tuple[Any, list[str]]:
    """Drop the deny list's columns, each printed with its pattern; return the rest and what was kept leaky."""
    from leadrelay.scoring.training.leakage import DEFAULT_DENY, leaky_columns

    columns = [str(c) for c in features.columns]
    unknown = [a for a in args.allow if a.lower() not in {c.lower() for c in columns}]
    if unknown:
        raise ValueError(f"--allow {', '.join(unknown)}: no such column; columns: {', '.join(columns)}")
    caught = leaky_columns(columns, (*DEFAULT_DENY, *args.deny), tuple(args.allow))
    for column in args.allow:
        print(f"kept {column!r}: allowed as known before sales contact")
    if not caught:
        return features, []
    if args.keep_leaky:
        print(
            f"WARNING: training WITH leaky columns {', '.join(caught)}; the model is flagged and not activated",
            file=sys.stderr,
        )
        return features, list(caught)
    print("dropped columns that leak the outcome (known only after sales contact; keep one with --allow):")
    for column, pattern in caught.items():
        print(f"  {column!r} (matches {pattern!r})")
    return features.drop(columns=list(caught)), []


def _report(metrics: dict[str, Any]) -> None:
    print(
        f"cross-validated ROC AUC {metrics['roc_auc']:.4f} (shuffled folds {metrics['roc_auc_folds']}, "
        f"std {metrics['roc_auc_std']:.4f}), PR AUC {metrics['pr_auc']:.4f}, Brier {metrics['brier']:.4f}"
    )
    temporal = metrics.get("temporal")
    if temporal is None:
        print("no temporal holdout: give --time-column or --ordered to measure the model on later leads")
    elif temporal["roc_auc"] is None:
        print(f"no temporal holdout figure: {temporal['reason']}")
    else:
        print(
            f"temporal holdout ROC AUC {temporal['roc_auc']:.4f} (trained on the earliest {temporal['train_rows']} "
            f"rows, measured on the latest {temporal['test_rows']})"
        )


async def _active_version(settings: ScoringSettings) -> str | None:
    from leadrelay.db.engine import create_engine
    from leadrelay.scoring.adapters.model_registry import ModelRegistry

    engine = create_engine(settings.database_url)
    try:
        return await ModelRegistry(engine).active_version()  # type: ignore[no-any-return]
    finally:
        await engine.dispose()


async def _register(
    settings: ScoringSettings,
    model: Any,
    args: argparse.Namespace,
    training: dict[str, Any],
    leaky: list[str],
    activate: bool,
    feature_map: Any,
) -> str:
    from leadrelay.db.engine import create_engine
    from leadrelay.scoring.adapters.model_registry import ModelRegistry

    now = datetime.now(UTC)
    version = f"m{now:%Y%m%d%H%M%S}-{args.seed}"
    engine = create_engine(settings.database_url)
    try:
        await ModelRegistry(engine).register(
            version,
            model,
            args.target,
            training,
            leaky,
            now,
            activate=activate,
            feature_map=feature_map.model_dump(mode="json") if feature_map else None,
            actor="training command",
        )
    finally:
        await engine.dispose()
    return version
