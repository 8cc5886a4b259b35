"""Training on the X Education CSV through the CLI: leak-free, cross-validated, registered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadrelay.db.engine import create_engine
from leadrelay.scoring.adapters.model_registry import ModelRegistry
from leadrelay.scoring.bootstrap import MIGRATIONS
from leadrelay.scoring.domain.facts import Activity
from leadrelay.scoring.model.explain import explain
from leadrelay.scoring.model.features import FeatureMap, features_of

# The team folder beside the project (../shared), or wherever LEADRELAY_X_EDUCATION_CSV points.
DATASET = Path(
    os.environ.get("LEADRELAY_X_EDUCATION_CSV")
    or Path(__file__).resolve().parents[4].parent / "shared" / "datasets" / "x-education" / "leads.csv"
)


@pytest.fixture
def dataset() -> Path:
    """The X Education CSV; missing fails under CI and skips, with the reason, elsewhere."""
    if not DATASET.exists():
        message = f"the team's dataset is missing: {DATASET} (set LEADRELAY_X_EDUCATION_CSV)"
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)
    return DATASET


@pytest.fixture
async def fresh_db(create_database, postgres_settings):
    name = await create_database("scoring", MIGRATIONS)
    return name, postgres_settings


@pytest.fixture
async def scoring_db(dataset, fresh_db):
    return fresh_db


def run_train(
    db, *extra: str, csv: Path = DATASET, target: str = "Converted"
) -> subprocess.CompletedProcess[str]:
    name, postgres = db
    env = {**os.environ, "LEADRELAY_POSTGRES_DSN": postgres.dsn, "LEADRELAY_SCORING_DATABASE": name}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "leadrelay.scoring",
            "train",
            "--csv",
            str(csv),
            "--target",
            target,
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


async def test_x_education_trains_leak_free_to_at_least_0_87_and_is_registered(scoring_db):
    result = await asyncio.to_thread(
        run_train,
        scoring_db,
        "--seed",
        "42",
        "--activate",
        "--feature-map",
        "x-education",
        "--time-column",
        "Lead Number",
    )
    assert result.returncode == 0, result.stderr
    assert "dropped columns that leak the outcome" in result.stdout
    for leaky in ("Tags", "Lead Quality", "Last Notable Activity", "Asymmetrique Activity Score"):
        assert leaky in result.stdout
    name, postgres = scoring_db
    engine = create_engine(postgres.database_url(name))
    try:
        [entry] = await ModelRegistry(engine).list()
        active = await ModelRegistry(engine).active()
    finally:
        await engine.dispose()
    assert entry["active"] is True and entry["leaky_columns"] == []
    assert "Tags" not in entry["features"] and "Lead Source" in entry["features"]
    assert entry["metrics"]["roc_auc"] >= 0.87, entry["metrics"]
    assert (
        entry["metrics"]["temporal"]["roc_auc"] >= 0.87 and entry["metrics"]["temporal"]["test_rows"] == 1848
    )
    assert {"pr_auc", "brier", "calibration", "roc_auc_folds"} <= set(entry["metrics"])
    assert active is not None and active[0] == entry["version"]
    assert active[2]["name"] == "x-education"
    # served as scoring serves it: a live lead through the feature map, explained
    served = active[1]  # stored as the compiled predictor (arrays), loaded without pickle
    feature_map = FeatureMap.model_validate(active[2])
    now = datetime.now(UTC)
    lead = {"source": "referral", "contact": {"title": "Sales manager"}, "consent": {"marketing": True}}
    visits = [Activity("page_view", now)] * 8
    prediction = explain(served, feature_map, features_of(feature_map, lead, visits, now))
    reference = served.probabilities(
        [
            dict.fromkeys(entry["features"])
            | {
                "Lead Origin": "Lead Add Form",
                "Lead Source": "Reference",
                "Do Not Email": "No",
                "TotalVisits": 8,
                "Page Views Per Visit": 8,
                "What is your current occupation": "Working Professional",
            }
        ]
    )[0]
    assert prediction.probability == pytest.approx(reference)
    assert prediction.probability > 0.5  # referrals of working professionals convert in X Education
    texts = [c.text for c in prediction.contributions]
    assert any(t.startswith("model: visits 8 raised the probability from ") for t in texts), texts


async def test_keeping_leaky_columns_flags_the_model_and_never_activates_it(scoring_db):
    result = await asyncio.to_thread(run_train, scoring_db, "--keep-leaky", "--activate", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "WARNING: training WITH leaky columns" in result.stderr
    name, postgres = scoring_db
    engine = create_engine(postgres.database_url(name))
    try:
        [entry] = await ModelRegistry(engine).list()
    finally:
        await engine.dispose()
    assert entry["active"] is False and "Tags" in entry["leaky_columns"]
    assert entry["metrics"]["roc_auc"] > 0.95  # what leakage looks like


def campaign_csv(path: Path, rows: int = 2000, flip_after: float | None = None) -> Path:
    """A bank-marketing-like export: contacts in time order, target y as yes/no, a previous campaign's outcome."""
    rng = np.random.default_rng(7)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows) // 4, unit="D")
    previous = rng.choice(["success", "failure", "nonexistent"], rows, p=[0.1, 0.3, 0.6])
    signal = rng.normal(0, 1, rows)
    logit = -2 + 2 * np.arange(rows) / rows + signal + (previous == "success") * 2
    converted = rng.random(rows) < 1 / (1 + np.exp(-logit))
    if flip_after is not None:  # from then on, what converted before does not
        late = np.arange(rows) >= int(rows * flip_after)
        converted = np.where(late, signal < 0, signal > 0)
    frame = pd.DataFrame(
        {
            "contacted_on": day.strftime("%Y-%m-%d"),
            "job": rng.choice(["admin.", "technician", "management"], rows),
            "euribor3m": 4.9 - 4 * np.arange(rows) / rows,
            "signal": signal.round(4),
            "poutcome": previous,
            "call_status": rng.choice(["done", "missed"], rows),
            "y": np.where(converted, "yes", "no"),
        }
    )
    if flip_after is not None:
        frame = frame.drop(columns=["euribor3m"])  # the model cannot see when the rule changed
    frame.to_csv(path, index=False)
    return path


async def registered(db) -> list[dict]:
    name, postgres = db
    engine = create_engine(postgres.database_url(name))
    try:
        return await ModelRegistry(engine).list()  # type: ignore[no-any-return]
    finally:
        await engine.dispose()


async def test_yes_no_labels_a_time_column_and_an_allowed_previous_outcome(fresh_db, tmp_path):
    csv = campaign_csv(tmp_path / "campaign.csv")
    result = await asyncio.to_thread(
        run_train, fresh_db, "--time-column", "contacted_on", "--allow", "poutcome", csv=csv, target="y"
    )
    assert result.returncode == 0, result.stderr
    assert "kept 'poutcome': allowed as known before sales contact" in result.stdout
    assert "'call_status' (matches '*status*')" in result.stdout
    assert "training on 4 columns: job, euribor3m, signal, poutcome" in result.stdout
    assert "temporal holdout ROC AUC" in result.stdout and "latest 400" in result.stdout
    [entry] = await registered(fresh_db)
    assert "poutcome" in entry["features"] and "contacted_on" not in entry["features"]
    assert entry["metrics"]["roc_auc"] > 0.7
    temporal = entry["metrics"]["temporal"]
    assert temporal["test_rows"] == 400 and temporal["roc_auc"] > 0.7
    assert temporal["test_from"].startswith("2025-02-04")  # day 400 of 500: the latest fifth
    assert entry["training"]["time_column"] == "contacted_on" and entry["training"]["allowed"] == ["poutcome"]


async def test_a_model_worse_than_chance_on_later_rows_is_refused_and_not_registered(fresh_db, tmp_path):
    csv = campaign_csv(tmp_path / "campaign.csv", rows=1000, flip_after=0.7)
    result = await asyncio.to_thread(run_train, fresh_db, "--ordered", "--activate", csv=csv, target="y")
    assert result.returncode == 1
    assert "model refused, nothing registered" in result.stderr and "below 0.5" in result.stderr
    assert await registered(fresh_db) == []
