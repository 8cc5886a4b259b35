"""A request that loses its database answers 503 with Retry-After, whichever layer raised."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi.testclient import TestClient

from leadrelay.service.app import create_app


async def _ready() -> bool:
    return True


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        # what a request met during a PostgreSQL restart under load, which reached a client as 500
        asyncpg.exceptions.InternalClientError("cannot perform operation: another operation is in progress"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
    ],
)
def test_driver_connection_errors_answer_503(error):
    app = create_app(service="test", title="t", description="d", readiness=_ready)

    @app.post("/write")
    async def write() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).post("/write")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable"


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.NumericValueOutOfRangeError("numeric field overflow"),
        asyncpg.UntranslatableCharacterError("unsupported Unicode escape sequence"),
    ],
)
def test_a_value_the_database_refuses_is_422_not_a_retry(error):
    app = create_app(service="test", title="t", description="d", readiness=_ready)

    @app.post("/write")
    async def write() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).post("/write")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body" and "Retry-After" not in response.headers


def test_json_nested_deeper_than_the_parser_goes_is_422():
    app = create_app(service="test", title="t", description="d", readiness=_ready)

    @app.post("/document")
    async def document(body: dict) -> dict:
        return {"keys": len(body)}

    deep = b'{"a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    response = TestClient(app, raise_server_exceptions=False).post(
        "/document", content=deep, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert "nested too deeply" in response.json()["errors"][0]["reason"]
