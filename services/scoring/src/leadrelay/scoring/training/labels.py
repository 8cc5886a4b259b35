"""Turning an outcome column into 0/1 labels: the values people use, or the one they name."""

from __future__ import annotations

import pandas as pd

# Values that say converted or not without being told; anything else needs --positive.
POSITIVE = frozenset({"1", "true", "t", "yes", "y", "won", "win", "converted"})
NEGATIVE = frozenset({"0", "false", "f", "no", "n", "lost", "loss", "not converted", "unconverted"})


def normalise(value: object) -> str:
    """Return a label as compared: trimmed, lower case, `1.0` read as `1`."""
    text = str(value).strip().lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def binary_labels(column: pd.Series, positive: str | None = None) -> pd.Series:
    """Return 1 where the outcome is positive; ValueError naming the values found when that is unclear."""
    values = column.map(normalise)
    counts = values.value_counts()
    found = ", ".join(f"{v!r} ({n})" for v, n in counts.items())
    name = column.name
    if positive is not None:
        wanted = normalise(positive)
        if wanted not in counts:
            raise ValueError(f"--positive {positive!r} is not a value of {name!r}; its values: {found}")
        labels = (values == wanted).astype(int)
    elif set(counts.index) <= POSITIVE | NEGATIVE and len(counts):
        labels = values.isin(POSITIVE).astype(int)
    else:
        raise ValueError(
            f"cannot tell which value of {name!r} means converted; its values: {found}. "
            "Name it with --positive VALUE (1/0, true/false, yes/no, won/lost and converted are understood)"
        )
    if labels.nunique() < 2:
        raise ValueError(
            f"{name!r} holds one outcome only ({found}): a model needs converted and unconverted leads"
        )
    return labels
