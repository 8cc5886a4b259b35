"""Every route of every service declares its role, and each keyed route refuses no key (401) and every role it
does not accept (403). A route added later without a role fails here."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadrelay.capture.bootstrap import build_app as capture_app
from leadrelay.capture.settings import CaptureSettings
from leadrelay.delivery.bootstrap import build_app as delivery_app
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.metrics.bootstrap import build_app as metrics_app
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.routing.bootstrap import build_app as routing_app
from leadrelay.routing.settings import RoutingSettings
from leadrelay.scoring.bootstrap import build_app as scoring_app
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.service.access import Role, route_inventory
from leadrelay.sla_monitor.bootstrap import build_app as sla_monitor_app
from leadrelay.sla_monitor.settings import SlaMonitorSettings

KEYS = {
    Role.BACKEND: "inventory-backend-key-0001",
    Role.SALES: "inventory-sales-key-000001",
    Role.VIEWER: "inventory-viewer-key-00001",
    Role.ADMIN: "inventory-admin-key-000001",
}
KEYED = {
    "admin_keys": [KEYS[Role.ADMIN]],
    "viewer_keys": [KEYS[Role.VIEWER]],
    "sales_keys": [KEYS[Role.SALES]],
}
P, F, B, S, V, A = Role.PUBLIC, Role.FORM, Role.BACKEND, Role.SALES, Role.VIEWER, Role.ADMIN
HEALTH = {("GET", "/healthz"): {P}, ("GET", "/readyz"): {P}, ("GET", "/metrics"): {P}}
DOCS = {
    ("GET", p): {P} for p in ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/asyncapi.json")
}

# The declared role of every route. Changing a route's role, or adding a route, means changing this table.
EXPECTED: dict[str, dict[tuple[str, str], set[Role]]] = {
    "capture": {
        ("POST", "/v1/leads"): {F, B},
        ("POST", "/v1/chat"): {F, B},
        ("POST", "/v1/leads/{lead_id}/activities"): {B},
        ("POST", "/v1/erasure-requests"): {B},
        ("POST", "/v1/opt-outs"): {B},
        ("POST", "/v1/consent-confirmations"): {B},
        ("GET", "/v1/consent/confirm"): {P},
        ("POST", "/v1/consent/confirm"): {P},
        ("GET", "/v1/forms/{form_id}"): {P},
        ("POST", "/v1/forms/{form_id}"): {P},
        ("GET", "/v1/widget.js"): {P},
        ("GET", "/v1/admin/forms"): {A},
        ("GET", "/v1/admin/forms/{form_id}"): {A},
        ("PUT", "/v1/admin/forms/{form_id}"): {A},
        ("DELETE", "/v1/admin/forms/{form_id}"): {A},
        ("GET", "/v1/admin/audit"): {A},
    },
    "scoring": {
        ("GET", "/v1/scores/{lead_id}"): {V, A},
        **{
            (method, path): {A}
            for method, path in [
                ("GET", "/v1/rulesets"),
                ("POST", "/v1/rulesets/validate"),
                ("POST", "/v1/rulesets"),
                ("GET", "/v1/rulesets/active"),
                ("GET", "/v1/rulesets/{version}"),
                ("POST", "/v1/rulesets/{version}/activate"),
                ("POST", "/v1/rescore-jobs"),
                ("GET", "/v1/rescore-jobs/{job_id}"),
                ("GET", "/v1/models"),
                ("POST", "/v1/models/{version}/activate"),
                ("POST", "/v1/models/retrain"),
                ("POST", "/v1/score/preview"),
                ("GET", "/v1/audit"),
            ]
        },
    },
    "routing": {
        ("GET", "/v1/decisions/{lead_id}"): {V, A},
        ("GET", "/v1/queues"): {V, A},
        ("GET", "/v1/reps"): {V, A},
        ("GET", "/v1/rules"): {V, A},
        ("GET", "/v1/sla-policies"): {V, A},
        ("POST", "/v1/handoffs/{handoff_id}/accept"): {S, A},
        ("POST", "/v1/handoffs/{handoff_id}/reject"): {S, A},
        **{
            (method, path): {A}
            for method, path in [
                ("GET", "/v1/config"),
                ("GET", "/v1/config/versions"),
                ("GET", "/v1/config/versions/{version}"),
                ("POST", "/v1/config"),
                ("POST", "/v1/config/versions/{version}/activate"),
                ("GET", "/v1/audit"),
                ("POST", "/v1/accounts"),
                ("POST", "/v1/accounts/import"),
                ("GET", "/v1/accounts"),
                ("POST", "/v1/route/preview"),
                ("POST", "/v1/backtest"),
            ]
        },
    },
    "sla-monitor": {
        ("POST", "/v1/handoffs/{handoff_id}/contact"): {S, A},
        ("POST", "/v1/handoffs/{handoff_id}/callback"): {S, A},
        ("GET", "/v1/handoffs"): {S, V, A},
        ("GET", "/v1/handoffs/{handoff_id}"): {S, V, A},
        ("GET", "/v1/compliance"): {V, A},
        ("GET", "/v1/policies"): {A},
        ("GET", "/v1/policies/versions"): {A},
        ("POST", "/v1/policies"): {A},
        ("POST", "/v1/policies/versions/{version}/activate"): {A},
        ("GET", "/v1/audit"): {A},
    },
    "metrics": {
        ("GET", "/v1/kpis"): {V, A},
        ("GET", "/v1/breakdown"): {V, A},
        ("GET", "/v1/feed"): {V, A},
        ("POST", "/v1/spend"): {A},
        ("GET", "/v1/spend"): {A},
        ("GET", "/v1/audit"): {A},
        ("GET", "/"): {P},
        ("GET", "/dashboard.js"): {P},
    },
    "delivery": {
        ("POST", "/v1/subscriptions"): {A},
        ("GET", "/v1/subscriptions"): {A},
        ("GET", "/v1/subscriptions/{subscription_id}"): {A},
        ("POST", "/v1/subscriptions/{subscription_id}/secret"): {A},
        ("POST", "/v1/subscriptions/{subscription_id}/{action}"): {A},
        ("GET", "/v1/deliveries"): {A},
        ("GET", "/v1/deliveries/{delivery_id}"): {A},
        ("POST", "/v1/deliveries/{delivery_id}/replay"): {A},
        ("POST", "/v1/outcomes"): {S, A, B},
        ("GET", "/v1/audit"): {A},
        ("GET", "/v1/actions/{action}"): {P},
        ("POST", "/v1/actions/{action}"): {P},
    },
}

BUILDERS: dict[str, Callable[[], FastAPI]] = {
    "capture": lambda: capture_app(CaptureSettings(api_keys=[KEYS[Role.BACKEND]], **KEYED)),
    "scoring": lambda: scoring_app(ScoringSettings(**KEYED)),
    "routing": lambda: routing_app(RoutingSettings(**KEYED)),
    "sla-monitor": lambda: sla_monitor_app(SlaMonitorSettings(**KEYED)),
    "metrics": lambda: metrics_app(MetricsSettings(**KEYED)),
    "delivery": lambda: delivery_app(DeliverySettings(backend_keys=[KEYS[Role.BACKEND]], **KEYED)),
}
SAMPLE_ID = "0b9f3c1e-2f4a-4c61-9d7e-3a2b1c0d9e8f"


def undeclared(app: FastAPI) -> list[tuple[str, str]]:
    """Return the routes of an app that declare no role."""
    return sorted(route for route, roles in route_inventory(app.routes).items() if roles is None)


def concrete(path: str) -> str:
    """Fill a route template's parameters with a plausible value."""
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, path)


@pytest.mark.parametrize("service", sorted(BUILDERS))
def test_every_route_declares_the_role_the_table_names(service: str) -> None:
    app = BUILDERS[service]()
    inventory = route_inventory(app.routes)
    assert undeclared(app) == []
    declared = {route: set(roles or ()) for route, roles in inventory.items()}
    assert declared == {**HEALTH, **DOCS, **EXPECTED[service]}


@pytest.mark.parametrize("service", sorted(BUILDERS))
def test_keyed_routes_refuse_no_key_and_every_other_role(service: str) -> None:
    app = BUILDERS[service]()
    client = TestClient(app, raise_server_exceptions=False)  # no lifespan: nothing is reached
    known = app.state.keyring.roles()  # capture and delivery know backend keys
    checked = 0
    for (method, path), roles in EXPECTED[service].items():
        if P in roles:
            continue
        url = concrete(path)
        refused = client.request(method, url, json={})
        assert refused.status_code == 401, (method, path, refused.text)
        assert refused.json()["header"] in ("X-API-Key", "X-Form-Key"), refused.text
        unknown = client.request(method, url, json={}, headers={"X-API-Key": "not-a-key-of-this-service"})
        assert unknown.status_code == 401, (method, path, unknown.text)
        for role, key in KEYS.items():
            if role in roles:
                continue
            forbidden = client.request(method, url, json={}, headers={"X-API-Key": key})
            assert forbidden.status_code == (403 if role in known else 401), (
                method,
                path,
                role,
                forbidden.text,
            )
            checked += forbidden.status_code == 403
    assert checked > 0


def test_a_route_added_without_a_role_is_found() -> None:
    app = BUILDERS["metrics"]()

    @app.get("/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "everyone can read this"}

    assert undeclared(app) == [("GET", "/v1/forgotten")]


def test_an_admin_key_in_the_old_header_still_counts_as_admin() -> None:
    client = TestClient(BUILDERS["routing"](), raise_server_exceptions=False)
    assert client.get("/v1/config", headers={"X-Admin-Key": KEYS[Role.VIEWER]}).status_code == 403
    assert client.get("/v1/config", headers={"X-Admin-Key": "not-a-key-of-this-service"}).status_code == 401
