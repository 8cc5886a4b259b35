"""Training on the X Education CSV through the CLI: leak-free, cross-validated, registered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

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
async def scoring_db(dataset, create_database, postgres_settings):
    name = await create_database("scoring", MIGRATIONS)
    return name, postgres_settings


def run_train(db, *extra: str) -> subprocess.CompletedProcess[str]:
    name, postgres = db
    env = {**os.environ, "LEADRELAY_POSTGRES_DSN": postgres.dsn, "LEADRELAY_SCORING_DATABASE": name}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "leadrelay.scoring",
            "train",
            "--csv",
            str(DATASET),
            "--target",
            "Converted",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


async def test_x_education_trains_leak_free_to_at_least_0_87_and_is_registered(scoring_db):
    result = await asyncio.to_thread(
        run_train, scoring_db, "--seed", "42", "--activate", "--feature-map", "x-education"
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
