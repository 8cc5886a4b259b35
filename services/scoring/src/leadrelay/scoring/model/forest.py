"""A lean predictor: the trained boosters' trees as flat numpy arrays, walked for all trees at once.

scikit-learn predicts tree by tree through a pandas-aware pipeline, which costs milliseconds per call
whatever the batch size; scoring one lead at a time needs well under that. The arithmetic here is the
same as scikit-learn's (`_predict_from_raw_data`): a test checks that both agree on every training row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Calibrator:
    """Maps a booster's raw score to a probability: isotonic (thresholds) or sigmoid (a, b)."""

    kind: str
    x: Array | None = None
    y: Array | None = None
    a: float = 0.0
    b: float = 0.0

    def __call__(self, raw: Array) -> Array:
        if self.kind == "isotonic":
            assert self.x is not None and self.y is not None
            return np.interp(np.clip(raw, self.x[0], self.x[-1]), self.x, self.y)
        return 1.0 / (1.0 + np.exp(self.a * raw + self.b))


@dataclass(frozen=True)
class Forest:
    """Every tree of every booster, flattened; node indices are global."""

    roots: Array  # (trees,) index of each tree's root
    tree_booster: Array  # (trees,) which booster a tree belongs to
    is_leaf: Array
    value: Array
    feature: Array
    threshold: Array
    missing_left: Array
    is_categorical: Array
    left: Array
    right: Array
    left_bitset_row: Array  # row in left_bitsets of a categorical node's categories that go left
    known_bitset_row: Array  # row in known_bitsets of the categories its booster saw in training
    left_bitsets: Array  # (rows, 8) uint32
    known_bitsets: Array  # (rows, 8) uint32
    depth: int
    baselines: Array  # (boosters,) raw score before any tree


@dataclass(frozen=True)
class LeanModel:
    """Encodes lead rows like the training pipeline and returns calibrated conversion probabilities."""

    columns: tuple[str, ...]  # the boosters' input columns, in order
    # per booster: column -> category -> the code that booster was trained with
    categories: tuple[Mapping[str, Mapping[str, int]], ...]
    forest: Forest  # node features index the encoded matrix: booster b's columns start at b * len(columns)
    calibrators: tuple[Calibrator, ...]

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> Array:
        """Return the rows as the boosters' input matrix, one block of columns per booster; missing is NaN."""
        width = len(self.columns)
        matrix = np.full((len(rows), width * len(self.categories)), np.nan)
        for i, row in enumerate(rows):
            for j, column in enumerate(self.columns):
                value = row.get(column)
                if value is None:
                    continue
                for b, categories in enumerate(self.categories):
                    codes = categories.get(column)
                    if codes is not None:
                        code = codes.get(str(value))
                        matrix[i, b * width + j] = np.nan if code is None else code
                    else:
                        number = _number(value)
                        matrix[i, b * width + j] = np.nan if number is None else number
        return matrix

    def probabilities(self, rows: Sequence[Mapping[str, Any]]) -> Array:
        """Return each row's calibrated probability of converting."""
        raw = raw_scores(self.forest, self.encode(rows))
        calibrated = np.column_stack([c(raw[:, b]) for b, c in enumerate(self.calibrators)])
        return np.clip(calibrated.mean(axis=1), 0.0, 1.0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _in_bitset(bitsets: Array, rows: Array, codes: Array) -> Array:
    return ((bitsets[rows, codes >> 5] >> (codes & 31).astype(np.uint32)) & 1).astype(bool)


def raw_scores(forest: Forest, x: Array) -> Array:
    """Return each row's raw score per booster: its baseline plus the leaf value of each of its trees."""
    rows = np.arange(x.shape[0])[:, None]
    node = np.broadcast_to(forest.roots, (x.shape[0], forest.roots.size)).copy()
    for _ in range(forest.depth):
        leaf = forest.is_leaf[node]
        if leaf.all():
            break
        value = x[rows, forest.feature[node]]
        missing = np.isnan(value)
        categorical = forest.is_categorical[node]
        usable = categorical & ~missing & (value >= 0)
        codes = np.where(usable, value, 0).astype(np.int64)
        goes_left = _in_bitset(forest.left_bitsets, forest.left_bitset_row[node], codes)
        known = _in_bitset(forest.known_bitsets, forest.known_bitset_row[node], codes)
        # scikit-learn treats a negative or unseen category like a missing value
        as_missing = missing | (categorical & ~(usable & (goes_left | known)))
        left = np.where(
            as_missing,
            forest.missing_left[node],
            np.where(categorical, goes_left, value <= forest.threshold[node]),
        )
        node = np.where(leaf, node, np.where(left, forest.left[node], forest.right[node]))
    leaves = forest.value[node]
    boosters = forest.baselines.size
    per_booster = np.zeros((x.shape[0], boosters))
    for b in range(boosters):
        per_booster[:, b] = leaves[:, forest.tree_booster == b].sum(axis=1)
    return per_booster + forest.baselines
