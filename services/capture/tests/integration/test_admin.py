"""Forms are managed through the admin API (X-Admin-Key) and take effect at once."""

from __future__ import annotations

from leadrelay.capture.bootstrap import build_app
from leadrelay.devkit.testing.apps import running

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}  # as configured by conftest
EXPO = {
    "id": "expo",
    "public_key": "pk_expo_0123456789ab",
    "source": "event",
    "allowed_origins": ["https://expo.example"],
    "required": ["email", "name"],
    "allowed": ["email", "name", "company"],
    "thank_you_url": "https://expo.example/thanks",
}


async def test_admin_manages_forms_and_changes_take_effect(settings):
    async with running(build_app(settings)) as client:
        assert (await client.get("/v1/admin/forms")).status_code == 401
        assert (await client.get("/v1/admin/forms", headers={"X-Admin-Key": "x" * 30})).status_code == 401
        assert [f["id"] for f in (await client.get("/v1/admin/forms", headers=ADMIN)).json()] == ["demo"]

        created = await client.put("/v1/admin/forms/expo", json=EXPO, headers=ADMIN)
        assert created.status_code == 200
        posted = await client.post(
            "/v1/forms/expo",
            data={"email": "visitor@example.com", "name": "Vi", "company": "Co", "title": "CEO"},
            headers={"Origin": "https://expo.example"},
        )
        assert posted.status_code == 303 and posted.headers["location"] == "https://expo.example/thanks"
        assert posted.headers["access-control-allow-origin"] == "https://expo.example"

        mismatch = await client.put("/v1/admin/forms/other", json=EXPO, headers=ADMIN)
        stolen_key = await client.put("/v1/admin/forms/copy", json={**EXPO, "id": "copy"}, headers=ADMIN)
        assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "id"
        assert stolen_key.status_code == 422 and stolen_key.json()["errors"][0]["field"] == "public_key"

        assert (await client.delete("/v1/admin/forms/expo", headers=ADMIN)).status_code == 204
        gone = await client.post("/v1/forms/expo", data={"email": "late@example.com", "name": "L"})
        assert gone.status_code == 404
        assert (await client.delete("/v1/admin/forms/expo", headers=ADMIN)).status_code == 404
        audit = (await client.get("/v1/admin/audit", headers=ADMIN)).json()
        anonymous_audit = await client.get("/v1/admin/audit")
    # only the changes made, newest first, each with the key that made it (never the key itself)
    assert [(e["action"], e["subject"], e["detail"]) for e in audit] == [
        ("form_deleted", "expo", {}),
        ("form_saved", "expo", {"replaced": False, "origins": len(EXPO["allowed_origins"])}),
    ]
    assert audit[0]["actor"].startswith("admin key ") and ADMIN["X-Admin-Key"] not in str(audit)
    assert anonymous_audit.status_code == 401
