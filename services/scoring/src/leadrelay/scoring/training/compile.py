"""Turning a fitted scikit-learn pipeline into the lean predictor that scoring serves."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.isotonic import IsotonicRegression

from leadrelay.scoring.model.forest import Calibrator, Forest, LeanModel
from leadrelay.scoring.training.model import TrainedModel


def compile_model(model: TrainedModel) -> LeanModel:
    """Return the lean equivalent of a trained pipeline (encoder, calibrated gradient boosting)."""
    encode = model.pipeline.named_steps["encode"]
    calibrated: CalibratedClassifierCV = model.pipeline.named_steps["model"]
    columns = tuple(str(c) for c in encode.get_feature_names_out())
    encoder = encode.named_transformers_["categorical"]
    outer = {
        str(column): {str(v): code for code, v in enumerate(values) if not _is_missing(v)}
        for column, values in zip(model.categorical, getattr(encoder, "categories_", []), strict=False)
    }
    boosters = [c.estimator for c in calibrated.calibrated_classifiers_]
    categories = tuple(_booster_codes(booster, columns, outer) for booster in boosters)
    calibrators = tuple(_calibrator(c.calibrators[0]) for c in calibrated.calibrated_classifiers_)
    return LeanModel(columns, categories, _flatten(boosters, len(columns)), calibrators)


def _booster_codes(
    booster: Any, columns: tuple[str, ...], outer: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """Compose the pipeline's encoder with the booster's own one (it re-codes categories it was fit on)."""
    if booster._preprocessor is None:
        return outer
    mask = list(booster.is_categorical_)
    if mask != sorted(mask, reverse=True):  # its encoder moves categorical columns first: ours already are
        raise ValueError("categorical columns must come first")
    inner = booster._preprocessor.named_transformers_["encoder"].categories_
    composed: dict[str, dict[str, int]] = {}
    for column, seen in zip(columns, inner, strict=False):
        position = {float(v): i for i, v in enumerate(seen) if not _is_missing(v)}
        composed[column] = {
            value: position[float(code)]
            for value, code in outer.get(column, {}).items()
            if float(code) in position
        }
    return composed


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _calibrator(fitted: Any) -> Calibrator:
    if isinstance(fitted, IsotonicRegression):
        return Calibrator("isotonic", x=np.asarray(fitted.X_thresholds_), y=np.asarray(fitted.y_thresholds_))
    return Calibrator("sigmoid", a=float(fitted.a_), b=float(fitted.b_))


def _flatten(boosters: list[Any], width: int) -> Forest:
    parts: dict[str, list[Any]] = {k: [] for k in ("nodes", "roots", "tree_booster", "left_rows")}
    left_bitsets: list[Any] = [np.zeros((1, 8), dtype=np.uint32)]  # row 0: a harmless default
    known_bitsets: list[Any] = [np.zeros((1, 8), dtype=np.uint32)]
    known_rows: list[Any] = []
    offset, left_offset, known_offset, baselines = 0, 1, 1, []
    for b, booster in enumerate(boosters):
        baselines.append(float(np.ravel(booster._baseline_prediction)[0]))
        known, f_idx_map = booster._bin_mapper.make_known_categories_bitsets()
        known_bitsets.append(np.asarray(known, dtype=np.uint32).reshape(-1, 8))
        for (tree,) in booster._predictors:
            nodes = tree.nodes
            parts["nodes"].append(nodes)
            parts["roots"].append(offset)
            parts["tree_booster"].append(b)
            bitsets = np.asarray(tree.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8)
            left_bitsets.append(bitsets)
            parts["left_rows"].append(np.where(nodes["is_categorical"], nodes["bitset_idx"] + left_offset, 0))
            known_rows.append(
                np.where(
                    nodes["is_categorical"], np.asarray(f_idx_map)[nodes["feature_idx"]] + known_offset, 0
                )
            )
            parts.setdefault("left_idx", []).append(nodes["left"].astype(np.int64) + offset)
            parts.setdefault("right_idx", []).append(nodes["right"].astype(np.int64) + offset)
            offset += len(nodes)
            left_offset += len(bitsets)
        known_offset += len(known_bitsets[-1])
    nodes = np.concatenate(parts["nodes"])
    booster_of_node = np.concatenate(
        [np.full(len(n), b) for n, b in zip(parts["nodes"], parts["tree_booster"], strict=True)]
    )
    return Forest(
        roots=np.asarray(parts["roots"], dtype=np.int64),
        tree_booster=np.asarray(parts["tree_booster"], dtype=np.int64),
        is_leaf=nodes["is_leaf"].astype(bool),
        value=nodes["value"].astype(np.float64),
        feature=nodes["feature_idx"].astype(np.int64) + booster_of_node * width,
        threshold=nodes["num_threshold"].astype(np.float64),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        is_categorical=nodes["is_categorical"].astype(bool),
        left=np.concatenate(parts["left_idx"]),
        right=np.concatenate(parts["right_idx"]),
        left_bitset_row=np.concatenate(parts["left_rows"]).astype(np.int64),
        known_bitset_row=np.concatenate(known_rows).astype(np.int64),
        left_bitsets=np.concatenate(left_bitsets),
        known_bitsets=np.concatenate(known_bitsets),
        depth=int(nodes["depth"].max()) + 1,
        baselines=np.asarray(baselines),
    )
