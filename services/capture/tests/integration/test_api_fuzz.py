"""Property-based fuzzing of capture's real HTTP API from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from leadrelay.db.provision import drop_database
from leadrelay.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.infra.net import free_port

API_KEY = "fuzz-api-key-0123456789"
EXAMPLES_PER_OPERATION = 150


@pytest.fixture(scope="module")
def capture_url(infra, tmp_path_factory) -> Iterator[str]:
    """Capture as its own process on the real broker and PostgreSQL, with limits that let the fuzzer run."""
    unique = uuid.uuid4().hex[:10]
    database = f"lrt_fuzz_capture_{unique}"
    env = service_env(
        infra.bootstrap_servers,
        infra.postgres_dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=f"f{unique}.",
        LEADRELAY_CAPTURE_DATABASE=database,
        LEADRELAY_CAPTURE_API_KEYS=API_KEY,
        LEADRELAY_CAPTURE_RATE_LIMIT_PER_IP="1000000/minute",
        LEADRELAY_CAPTURE_RATE_LIMIT_PER_FORM="1000000/minute",
        LEADRELAY_CAPTURE_LOG_LEVEL="WARNING",
    )
    spec = next(s for s in SERVICES if s.name == "capture")
    process = ServiceProcess(spec, env, tmp_path_factory.mktemp("fuzz-logs"), port=free_port())
    process.start()
    try:
        process.wait_ready(60)
        yield process.url
    finally:
        process.stop()
        asyncio.run(drop_database(infra.postgres_dsn, database))


def test_no_server_error_and_every_response_matches_the_schema(capture_url):
    schema = schemathesis.openapi.from_url(f"{capture_url}/openapi.json")
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
