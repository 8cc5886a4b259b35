"""Property-based fuzzing of capture's real HTTP API from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

API_KEY = "process-api-key-0123456789"  # the key the capture_process fixture configures
EXAMPLES_PER_OPERATION = 150


def test_no_server_error_and_every_response_matches_the_schema(capture_process):
    schema = schemathesis.openapi.from_url(f"{capture_process.url}/openapi.json")
    calls: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case) -> None:
            response = case.call(headers={"X-API-Key": API_KEY})
            calls.append(f"{case.operation.label} -> {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        exercise()
    assert len({c.split(" -> ")[0] for c in calls}) >= 10, sorted(set(calls))  # every operation ran
    assert len(calls) >= 1000, f"only {len(calls)} requests"
