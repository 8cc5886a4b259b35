"""Scoring latency per lead (rules; rules with the served model and its explanations) and training time.

Prints figures; with --write, updates the scoring section of docs/benchmarks.md. Needs the team's X Education
CSV beside the project (../shared/datasets/x-education/leads.csv) or LEADRELAY_X_EDUCATION_CSV.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from doc_sections import replace_marked

from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.domain.rules import Activity, score_lead
from leadrelay.scoring.model.features import load_feature_map
from leadrelay.scoring.scorer import ServedModel, assess
from leadrelay.scoring.settings import DEFAULT_RULESET
from leadrelay.scoring.training.compile import compile_model
from leadrelay.scoring.training.dataset import load_csv
from leadrelay.scoring.training.leakage import leaky_columns
from leadrelay.scoring.training.model import train

ROOT = Path(__file__).resolve().parent.parent
DATASET = Path(
    os.environ.get("LEADRELAY_X_EDUCATION_CSV") or ROOT.parent / "shared/datasets/x-education/leads.csv"
)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def synthetic_facts(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    sources = ["web_form", "chat", "api", "event", "referral", "social", "import"]
    sizes = [None, "1-10", "11-50", "51-200", "201-1000", "1000+"]
    titles = [None, "CEO", "VP Sales", "Marketing Manager", "Student", "Engineer"]
    countries = [None, "IN", "US", "GB", "AE", "DE"]
    messages = [None, "question?", "Our manual process is slow; budget approved, need it this quarter."]
    return [
        {
            "source": sources[rng.integers(len(sources))],
            "completeness": "complete" if rng.random() < 0.5 else "partial",
            "company": {"size": sizes[rng.integers(len(sizes))], "country": countries[rng.integers(6)]},
            "contact": {"email": f"l{i}@example.com", "title": titles[rng.integers(len(titles))]},
            "message": messages[rng.integers(3)],
            "question_asked": bool(rng.random() < 0.3),
            "consent": {"marketing": bool(rng.random() < 0.5), "purposes": ["contact"]},
        }
        for i in range(n)
    ]


def activities_at(now) -> list[Activity]:
    """A lead with some engagement: what re-scoring on LeadActivity sees."""
    kinds = ["webinar", "page_view", "page_view", "page_view", "demo_request", "content_download"]
    return [Activity(kind, now) for kind in kinds]


def rules_latency(n: int) -> tuple[float, float, float]:
    """Return p50, p99 (ms) of rule scoring with a few activities, and the JSON-encode floor's p99."""
    ruleset = load_ruleset(DEFAULT_RULESET)
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    activities = activities_at(now)
    timings, floor = [], []
    for facts in synthetic_facts(n, 7):
        started = time.perf_counter()
        score_lead(facts, ruleset, activities, now)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        json.dumps(facts)
        floor.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 50), percentile(timings, 99), percentile(floor, 99)


def served_latency(served: ServedModel, n: int) -> tuple[float, float]:
    """Return p50, p99 (ms) of what scoring does per lead: rules, checklists, the model and its explanation."""
    ruleset = load_ruleset(DEFAULT_RULESET)
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    activities = activities_at(now)
    timings = []
    for facts in synthetic_facts(n, 11):
        started = time.perf_counter()
        assessment = assess(facts, activities, now, ruleset, served)
        assessment.reasons()
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 50), percentile(timings, 99)


def sklearn_latency(model, features: pd.DataFrame, n: int) -> tuple[float, float]:
    """Return p50, p99 (ms) of scikit-learn's own pipeline on one row per call (the reference)."""
    rows = [features.iloc[[i % len(features)]] for i in range(n)]
    timings = []
    for row in rows:
        started = time.perf_counter()
        model.pipeline.predict_proba(row)
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 50), percentile(timings, 99)


def synthetic_training_set(features: pd.DataFrame, labels: pd.Series, rows: int, seed: int):
    """Resample the real rows with jitter on the numbers, to the requested size."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(features), rows)
    frame = features.iloc[picks].reset_index(drop=True).copy()
    for column in frame.select_dtypes("number").columns:
        frame[column] = frame[column] * rng.normal(1.0, 0.05, rows)
    return frame, labels.iloc[picks].reset_index(drop=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--training-rows", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"dataset missing: {DATASET}")
    dataset = load_csv(DATASET, "Converted")
    features = dataset.features.drop(columns=leaky_columns(list(dataset.features.columns)))
    model = train(features, dataset.labels, seed=42, folds=2)
    served = ServedModel("bench", compile_model(model), load_feature_map("x-education"))
    rules = [rules_latency(args.leads) for _ in range(args.runs)]
    serving = [served_latency(served, args.leads) for _ in range(args.runs)]
    models = [sklearn_latency(model, features, args.leads // 10) for _ in range(args.runs)]
    big_x, big_y = synthetic_training_set(features, dataset.labels, args.training_rows, 1)
    started = time.perf_counter()
    train(big_x, big_y, seed=1, folds=5)
    training_s = time.perf_counter() - started
    summary = {
        "rules_p50": statistics.median(r[0] for r in rules),
        "rules_p99": statistics.median(r[1] for r in rules),
        "floor_p99": statistics.median(r[2] for r in rules),
        "served_p50": statistics.median(m[0] for m in serving),
        "served_p99": statistics.median(m[1] for m in serving),
        "model_p50": statistics.median(m[0] for m in models),
        "model_p99": statistics.median(m[1] for m in models),
        "training_s": training_s,
    }
    print("summary: " + ", ".join(f"{k}={v:.3f}" for k, v in summary.items()))
    if args.write:
        write_doc(summary, args)
    return 0


def write_doc(s: dict[str, float], args: argparse.Namespace) -> None:
    section = f"""<!-- scoring-latency:start -->
## Scoring: latency per lead and training time

`bench/scoring_latency.py` ({time.strftime("%Y-%m-%d")}, same machine; in-process, one lead per call;
{args.runs} runs, medians).

| | p50 | p99 |
|---|---|---|
| rules and checklists (default rule set, 6 activities with decay) | {s["rules_p50"]:.3f} ms | {s["rules_p99"]:.3f} ms |
| **a lead as scoring serves it**: rules, checklists, the X Education model's probability and its leave-one-out explanation | {s["served_p50"]:.3f} ms | **{s["served_p99"]:.3f} ms** |
| floor: `json.dumps` of the same lead | | {s["floor_p99"]:.3f} ms |
| reference: scikit-learn's pipeline, one row per `predict_proba` | {s["model_p50"]:.3f} ms | {s["model_p99"]:.3f} ms |

Training with 5-fold cross-validation on {args.training_rows:,} synthetic rows (the X Education rows resampled,
numbers jittered): **{s["training_s"]:.0f} s**.

Target: p99 under 2 ms per lead. Scoring does not call scikit-learn per lead: the trained booster is compiled
into flat numpy arrays (`scoring/model/forest.py`) and all trees are walked at once, for the lead and, in the
same call, for the lead without each known column (the explanation). A unit test checks that it gives
scikit-learn's probabilities on every row.
<!-- scoring-latency:end -->"""
    replace_marked(section)


if __name__ == "__main__":
    sys.exit(main())
