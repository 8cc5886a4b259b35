"""A served model as plain arrays and JSON: stored and loaded without pickle, so a row in the database can hold
numbers and names but never code."""

from __future__ import annotations

import io
import json
from dataclasses import fields
from typing import Any

import numpy as np

from leadrelay.scoring.model.forest import Calibrator, Forest, LeanModel

FORMAT = "leadrelay-lean-model/1"
_FOREST_ARRAYS = [f.name for f in fields(Forest) if f.name != "depth"]


class ArtifactError(ValueError):
    """The bytes are not a model artifact this version can load (an older pickled one, or damaged)."""


def dump_model(model: LeanModel) -> bytes:
    """Return the model as an .npz archive of its arrays and a JSON description."""
    arrays: dict[str, Any] = {f"forest.{name}": getattr(model.forest, name) for name in _FOREST_ARRAYS}
    calibrators = []
    for i, calibrator in enumerate(model.calibrators):
        if calibrator.kind == "isotonic":
            arrays[f"calibrator.{i}.x"], arrays[f"calibrator.{i}.y"] = calibrator.x, calibrator.y
        calibrators.append({"kind": calibrator.kind, "a": calibrator.a, "b": calibrator.b})
    meta = {
        "format": FORMAT,
        "columns": list(model.columns),
        "categories": [{c: dict(codes) for c, codes in per.items()} for per in model.categories],
        "calibrators": calibrators,
        "depth": model.forest.depth,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def load_model(blob: bytes) -> LeanModel:
    """Load a model stored by dump_model, with pickle disabled; ArtifactError for anything else."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes())
            if meta.get("format") != FORMAT:
                raise ArtifactError(f"unknown model format {meta.get('format')!r}")
            forest = Forest(
                **{name: archive[f"forest.{name}"] for name in _FOREST_ARRAYS}, depth=int(meta["depth"])
            )
            calibrators = tuple(
                Calibrator(
                    c["kind"],
                    x=archive[f"calibrator.{i}.x"] if c["kind"] == "isotonic" else None,
                    y=archive[f"calibrator.{i}.y"] if c["kind"] == "isotonic" else None,
                    a=float(c["a"]),
                    b=float(c["b"]),
                )
                for i, c in enumerate(meta["calibrators"])
            )
    except ArtifactError:
        raise
    except (ValueError, KeyError, OSError, TypeError) as exc:  # np.load refuses pickled or foreign bytes
        raise ArtifactError(f"not a model artifact of this version ({type(exc).__name__})") from exc
    categories = tuple({c: dict(codes) for c, codes in per.items()} for per in meta["categories"])
    return LeanModel(tuple(meta["columns"]), categories, forest, calibrators)
