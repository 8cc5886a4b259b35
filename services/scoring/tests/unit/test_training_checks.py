"""Training on data nobody here tuned for: drifting time-ordered rows, the labels people use, refusals."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from leadrelay.scoring.training.cli import _screen
from leadrelay.scoring.training.dataset import load_csv
from leadrelay.scoring.training.labels import binary_labels
from leadrelay.scoring.training.leakage import leaky_columns
from leadrelay.scoring.training.model import ModelRefused, _check_ranking, build_pipeline, train


def drifting(rows: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Rows in time order: conversions grow from 5% to 50% while a macro index falls with time."""
    rng = np.random.default_rng(seed)
    time = np.arange(rows) / rows
    frame = pd.DataFrame(
        {
            "index": 5 - 4 * time + rng.normal(0, 0.1, rows),
            "signal": rng.normal(0, 1, rows),
            "channel": rng.choice(["web", "event", "referral"], rows),
        }
    )
    logit = -3 + 4 * time + frame["signal"] + (frame["channel"] == "referral") * 0.5
    return frame, pd.Series((rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int))


def booster_alone(features: pd.DataFrame, labels: pd.Series, seed: int = 42) -> float:
    """The uncalibrated booster's out-of-fold ROC AUC, on the folds train() uses."""
    pipeline, _ = build_pipeline(features, seed)
    raw = Pipeline(
        [("encode", pipeline.named_steps["encode"]), ("model", pipeline.named_steps["model"].estimator)]
    )
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_val_predict(raw, features, labels, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(labels, scores))


def test_time_ordered_drifting_rows_keep_the_boosters_ranking():
    features, labels = drifting()
    model = train(features, labels, order=pd.Series(range(len(labels))))
    booster = booster_alone(features, labels)
    assert model.metrics["roc_auc"] > 0.5
    assert model.metrics["roc_auc"] == pytest.approx(booster, abs=0.01)
    assert model.metrics["calibration_slope"] > 0
    temporal = model.metrics["temporal"]
    assert temporal["train_rows"] == 3200 and temporal["test_rows"] == 800
    assert 0.5 < temporal["roc_auc"] < 1


def test_a_calibration_on_unshuffled_folds_of_drifting_rows_is_refused():
    features, labels = drifting()
    pipeline, _ = build_pipeline(features, 42)
    booster = pipeline.named_steps["model"].estimator
    # what training did before: three contiguous folds predict each period from the others
    pipeline.set_params(model=CalibratedClassifierCV(booster, method="sigmoid", cv=3, ensemble=False))
    pipeline.fit(features, labels)
    with pytest.raises(ModelRefused, match="invert the booster's ranking"):
        _check_ranking(pipeline, features, labels)


def test_a_model_that_ranks_later_leads_worse_than_chance_is_refused():
    rng = np.random.default_rng(3)
    signal = rng.normal(0, 1, 1500)
    flipped = np.arange(1500) >= 1050  # the last 30% of the rows: what converted now does not
    labels = pd.Series(np.where(flipped, signal < 0, signal > 0).astype(int))
    with pytest.raises(ModelRefused, match=r"latest 20% of the rows is 0\.\d+, below 0\.5"):
        train(pd.DataFrame({"signal": signal}), labels, order=pd.Series(range(1500)))


def test_a_holdout_with_one_outcome_gives_no_figure_and_says_why():
    features, labels = drifting(600)
    labels.iloc[480:] = 0
    model = train(features, labels, order=pd.Series(range(600)))
    assert model.metrics["temporal"]["roc_auc"] is None
    assert "both outcomes" in model.metrics["temporal"]["reason"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 0, 1], [1, 0, 1]),
        ([1.0, 0.0, 0.0], [1, 0, 0]),
        (["True", "false", "TRUE"], [1, 0, 1]),
        (["yes", "no", " Yes "], [1, 0, 1]),
        (["Won", "Lost", "lost"], [1, 0, 0]),
        (["converted", "not converted", "Converted"], [1, 0, 1]),
        ([True, False, False], [1, 0, 0]),
    ],
)
def test_labels_people_use_are_understood(values, expected):
    assert binary_labels(pd.Series(values, name="y")).tolist() == expected


def test_other_labels_need_positive_and_the_error_lists_the_values():
    column = pd.Series(["subscribed", "declined", "declined"], name="result")
    with pytest.raises(ValueError, match=r"'result'.*'declined' \(2\), 'subscribed' \(1\).*--positive"):
        binary_labels(column)
    assert binary_labels(column, positive="Subscribed").tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match=r"--positive 'signed' is not a value of 'result'"):
        binary_labels(column, positive="signed")


def test_a_target_with_one_outcome_is_an_error_listing_what_was_found():
    with pytest.raises(ValueError, match=r"'y' holds one outcome only \('no' \(3\)\)"):
        binary_labels(pd.Series(["no", "no", "No"], name="y"))
    with pytest.raises(ValueError, match=r"one outcome only"):
        binary_labels(pd.Series(["a", "a"], name="y"), positive="a")


def test_the_deny_list_names_its_pattern_and_allow_keeps_a_column():
    columns = ["age", "poutcome", "Lead Stage", "Tags"]
    assert leaky_columns(columns) == {"poutcome": "*outcome*", "Lead Stage": "*stage*", "Tags": "Tags"}
    assert leaky_columns(columns, allow=("POUTCOME",)) == {"Lead Stage": "*stage*", "Tags": "Tags"}


def test_the_deny_list_prints_each_column_with_its_pattern_and_allow_keeps_one(capsys):
    features = pd.DataFrame({"age": [30], "poutcome": ["success"], "call_status": ["done"]})
    args = argparse.Namespace(allow=[], deny=[], keep_leaky=False)
    kept, leaky = _screen(features, args)
    out = capsys.readouterr().out
    assert "  'poutcome' (matches '*outcome*')" in out and "  'call_status' (matches '*status*')" in out
    assert list(kept.columns) == ["age"] and leaky == []
    kept, _ = _screen(features, argparse.Namespace(allow=["poutcome"], deny=[], keep_leaky=False))
    assert list(kept.columns) == ["age", "poutcome"]
    assert "kept 'poutcome': allowed as known before sales contact" in capsys.readouterr().out


def test_row_order_and_time_columns_order_the_rows_and_wide_text_is_dropped(tmp_path):
    days = [f"2024-01-{d:02d}" for d in range(1, 29)] * 10
    frame = pd.DataFrame(
        {
            "when": days,
            "note": [f"free text {i % 260}" for i in range(280)],
            "x": range(280),
            "y": ["yes", "no"] * 140,
        }
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)
    ordered = load_csv(tmp_path / "rows.csv", "y", ordered=True)
    assert ordered.order.tolist() == list(range(280)) and "when" in ordered.features.columns
    assert "note" not in ordered.features.columns
    assert any(
        "more than 255 values (free text, or times: see --time-column): note" in n for n in ordered.notes
    )
    timed = load_csv(tmp_path / "rows.csv", "y", time_column="when")
    assert "when" not in timed.features.columns and str(timed.order.iloc[27].date()) == "2024-01-28"
    with pytest.raises(
        ValueError, match="--time-column 'note' holds values that are not times, such as 'free text 0'"
    ):
        load_csv(tmp_path / "rows.csv", "y", time_column="note")


def test_the_cli_refuses_unclear_targets_and_unknown_columns_before_touching_a_database(tmp_path, capsys):
    from leadrelay.scoring.__main__ import main

    pd.DataFrame(
        {"job": ["admin.", "technician", "admin."], "poutcome": ["x", "y", "z"], "y": ["yes", "no", "no"]}
    ).to_csv(tmp_path / "campaign.csv", index=False)
    csv = str(tmp_path / "campaign.csv")
    # no database is configured here: both are answered from the file alone
    assert main(["train", "--csv", csv, "--target", "job"]) == 2
    err = capsys.readouterr().err
    assert (
        "cannot tell which value of 'job' means converted; its values: 'admin.' (2), 'technician' (1)" in err
    )
    assert main(["train", "--csv", csv, "--target", "y", "--allow", "poutcom"]) == 2
    assert "--allow poutcom: no such column" in capsys.readouterr().err
