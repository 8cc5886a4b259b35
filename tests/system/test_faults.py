"""The fault suite (short run): leads at a fixed rate while every service is SIGKILLed at a fault point
(after a DB commit before publishing, after publishing before marking the outbox row, after handling before
the offset commit, after sending webhooks before recording them) and at random; then every accepted lead is
accounted for, its handoff's webhook included: 0 lost, 0 duplicates, 0 inversions. `make test-faults` runs the full plan (tests/system/fault_suite.py)."""

from __future__ import annotations

import pytest

from leadrelay.devkit.testing.faultsuite import FaultPlan, run_fault_suite

pytestmark = pytest.mark.system

SHORT = FaultPlan(
    rate=20,
    seconds=30,
    fault_points={
        "capture": "after_commit_before_publish:40",
        "scoring": "after_handle_before_commit:40",
        "routing": "after_publish_before_mark:25",
        "sla-monitor": "after_handle_before_commit:40",
        "metrics": "after_handle_before_commit:20",  # a background consumer: about two batches a second
        "delivery": "after_send_before_record:20",  # webhooks sent, not recorded: sent again, same id
    },
    random_kills=3,
    first_contact_minutes=0.25,  # leads breach during the run, so escalations happen under the kills too
)


@pytest.mark.timeout(420)
async def test_short_fault_run_loses_nothing_and_duplicates_nothing(infra, tmp_path):
    run = await run_fault_suite(SHORT, tmp_path, infra.bootstrap_servers, infra.postgres_dsn)
    print("\n" + run.describe())
    assert not run.missed_faults, f"planned faults never happened: {run.missed_faults}"
    assert sum(w == "SIGKILL at random" for why in run.kills.values() for w in why) == SHORT.random_kills
    assert run.report.accepted >= SHORT.rate * SHORT.seconds * 0.95, "most leads must be acknowledged"
    assert run.report.breached > 0, "first-contact deadlines must breach and escalate during the run"
    assert run.ok, run.describe()
