"""The lean predictor agrees with scikit-learn, and explanations name what moved the probability."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from leadrelay.scoring.domain.facts import Activity
from leadrelay.scoring.model.artifact import ArtifactError, dump_model, load_model
from leadrelay.scoring.model.explain import explain
from leadrelay.scoring.model.features import ColumnSpec, FeatureMap, features_of, load_feature_map
from leadrelay.scoring.training.compile import compile_model
from leadrelay.scoring.training.model import train

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def synthetic(rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Leads whose conversion depends on source, seniority and visits, with gaps and a rare category."""
    rng = np.random.default_rng(seed)
    source = rng.choice(["referral", "web_form", "chat", "api", "rare"], rows, p=[0.2, 0.4, 0.2, 0.19, 0.01])
    seniority = rng.choice(["executive", "manager", "student", None], rows)
    visits = rng.poisson(3, rows).astype(float)
    visits[rng.random(rows) < 0.1] = np.nan
    logit = (
        (source == "referral") * 1.5
        + (seniority == "executive") * 1.0
        - (seniority == "student") * 1.5
        + np.nan_to_num(visits) * 0.3
        - 1.5
    )
    labels = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"source": source, "seniority": seniority, "visits": visits})
    return frame, pd.Series(labels)


@pytest.fixture(scope="module")
def trained():
    features, labels = synthetic(1500, seed=7)
    return train(features, labels, seed=7, folds=3), features


def test_the_lean_predictor_gives_scikit_learns_probabilities_for_every_row(trained):
    model, features = trained
    lean = compile_model(model)
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in features.to_dict("records")]
    expected = model.pipeline.predict_proba(features)[:, 1]
    assert np.allclose(lean.probabilities(rows), expected, atol=1e-9)
    # unseen categories and missing columns are read as missing, like the pipeline does
    odd = pd.DataFrame([{"source": "never-seen", "seniority": None, "visits": np.nan}])
    expected_odd = model.pipeline.predict_proba(odd)[:, 1]
    assert np.allclose(lean.probabilities([{"source": "never-seen"}]), expected_odd, atol=1e-9)


def test_a_stored_model_is_plain_arrays_that_load_without_pickle_and_predict_the_same(trained):
    model, features = trained
    lean = compile_model(model)
    loaded = load_model(dump_model(lean))
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in features.to_dict("records")]
    assert np.array_equal(loaded.probabilities(rows), lean.probabilities(rows))
    assert loaded.columns == lean.columns and loaded.categories == lean.categories


def test_a_pickled_artifact_is_refused_without_being_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    blob = pickle.dumps(Touch(str(marker)))
    with pytest.raises(ArtifactError):
        load_model(blob)
    with pytest.raises(ArtifactError):
        load_model(b"not an archive")
    assert not marker.exists()


class Touch:
    """An object whose unpickling creates a file: proof of whether pickle ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_cross_validated_metrics_come_with_the_model(trained):
    model, _ = trained
    assert 0.6 < model.metrics["roc_auc"] <= 1.0
    assert {"pr_auc", "brier", "calibration", "roc_auc_folds"} <= set(model.metrics)


def test_explanations_name_the_columns_that_moved_the_probability(trained):
    model, _ = trained
    lean = compile_model(model)
    feature_map = FeatureMap(
        name="test",
        columns={
            "source": ColumnSpec(field="source", label="source"),
            "visits": ColumnSpec(activities=["page_view"], within_days=7, label="visits this week"),
        },
    )
    visits = [Activity("page_view", NOW - timedelta(days=d)) for d in (1, 2, 3, 4, 5, 6)]
    row = features_of(feature_map, {"source": "referral"}, visits, NOW)
    assert row == {"source": "referral", "visits": 6}
    prediction = explain(lean, feature_map, row)
    assert prediction.contributions, "a referral with six visits is far from the average lead"
    by_column = {c.column: c for c in prediction.contributions}
    assert by_column["visits"].delta > 0
    assert by_column["visits"].text.startswith("model: visits this week 6 raised the probability from ")
    for contribution in prediction.contributions:
        without = lean.probabilities([{k: v for k, v in row.items() if k != contribution.column}])[0]
        assert contribution.without == pytest.approx(without)
        assert contribution.probability == pytest.approx(prediction.probability)


def test_feature_maps_translate_fields_keywords_and_count_activities():
    xedu = load_feature_map("x-education")
    facts = {
        "source": "chat",
        "company": {"country": "IN"},
        "contact": {"title": "Final-year student"},
        "consent": {"marketing": True},
    }
    row = features_of(xedu, facts, [Activity("page_view", NOW), Activity("email_open", NOW)], NOW)
    assert row["Lead Source"] == "Olark Chat"
    assert row["Country"] == "India"
    assert row["What is your current occupation"] == "Student"
    assert row["Do Not Email"] == "No"
    assert row["TotalVisits"] == 1
    assert "A free copy of Mastering The Interview" not in row  # no message: left missing
    native = load_feature_map("native")
    assert features_of(native, {"contact": {"title": "Head of IT"}}, [], NOW)["seniority"] == "director"
    with pytest.raises(ValueError, match="no feature map"):
        load_feature_map("nope")
