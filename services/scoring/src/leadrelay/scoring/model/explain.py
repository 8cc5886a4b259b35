"""The model's share of a lead's reasons: which of its columns moved the probability, and how far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy.typing as npt

from leadrelay.scoring.model.features import FeatureMap, Value


class Predictor(Protocol):
    """Anything that turns rows of model columns into conversion probabilities."""

    def probabilities(self, rows: Sequence[Mapping[str, Any]]) -> npt.NDArray[Any]: ...


@dataclass(frozen=True)
class ModelContribution:
    """How one column's value moved the probability compared with not knowing it."""

    column: str
    label: str
    value: Value
    without: float
    probability: float

    @property
    def delta(self) -> float:
        return self.probability - self.without

    @property
    def text(self) -> str:
        verb = "raised" if self.delta > 0 else "lowered"
        return (
            f"model: {self.label} {_shown(self.value)} {verb} the probability "
            f"from {self.without:.2f} to {self.probability:.2f}"
        )


@dataclass(frozen=True)
class Prediction:
    """A conversion probability and its strongest contributions."""

    probability: float
    contributions: tuple[ModelContribution, ...]


def explain(
    predictor: Predictor,
    feature_map: FeatureMap,
    row: dict[str, Value],
    top: int = 3,
    min_delta: float = 0.01,
) -> Prediction:
    """Predict the row and, in the same call, the row without each known column (leave-one-out)."""
    columns = list(row)
    rows = [row, *({k: v for k, v in row.items() if k != c} for c in columns)]
    probabilities = predictor.probabilities(rows)
    probability = float(probabilities[0])
    contributions = [
        ModelContribution(c, feature_map.label(c), row[c], float(without), probability)
        for c, without in zip(columns, probabilities[1:], strict=True)
    ]
    strongest = sorted((c for c in contributions if abs(c.delta) >= min_delta), key=lambda c: -abs(c.delta))
    return Prediction(probability, tuple(strongest[:top]))


def _shown(value: Value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
