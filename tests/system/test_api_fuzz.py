"""schemathesis against every service's own OpenAPI document, with the keys of their roles and without any:
whatever it sends, no service answers 5xx."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.system

# As configured by conftest: capture's backend key, and the admin key every service has (it may also do what
# viewers and sales tools do).
BACKEND = {"X-API-Key": "system-test-api-key-0123"}
ADMIN = {"X-API-Key": "system-test-admin-key-0123"}
NO_KEY: dict[str, str] = {}
EXAMPLES_PER_OPERATION = 25
OK = set(range(200, 300))
CALLERS = {
    "capture": [BACKEND, ADMIN, NO_KEY],
    "scoring": [ADMIN, NO_KEY],
    "routing": [ADMIN, NO_KEY],
    "sla-monitor": [ADMIN, NO_KEY],
    "metrics": [ADMIN, NO_KEY],
    "delivery": [ADMIN, NO_KEY],
}


@pytest.mark.timeout(900)
async def test_no_service_answers_5xx_to_anything_its_openapi_allows(system):
    statuses: dict[str, set[int]] = {}
    for service, callers in CALLERS.items():
        schema = schemathesis.openapi.from_url(f"{system.url(service)}/openapi.json")
        for result in schema.get_all_operations():
            await asyncio.to_thread(fuzz, result.ok(), service, callers, statuses)
    assert len(statuses) >= 60, sorted(statuses)  # every operation of every service ran
    assert all(code < 500 for codes in statuses.values() for code in codes)
    for service in CALLERS:  # the keys were taken: the services did real work, not only refuse
        answered = [label for label, codes in statuses.items() if label.startswith(service) and codes & OK]
        assert len(answered) >= 3, (service, sorted(statuses))


def fuzz(operation, service: str, callers: list[dict[str, str]], statuses: dict[str, set[int]]) -> None:
    """Send one operation's generated cases as each caller; fail on any 5xx."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case) -> None:
        for headers in callers:
            response = case.call(headers=headers, timeout=30)
            statuses.setdefault(f"{service} {case.operation.label}", set()).add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

    exercise()
