"""The committed JSON Schemas under docs/events/ must match the event models."""

from pathlib import Path

from leadrelay.events import EVENT_TYPES
from leadrelay.events.schemas import event_schemas, render

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"


def test_every_event_type_has_a_committed_schema():
    committed = {p.name for p in DOCS.glob("*.json")}
    assert committed == {f"{t}.json" for t in EVENT_TYPES}


def test_committed_schemas_match_the_models():
    for name, schema in event_schemas().items():
        committed = (DOCS / name).read_text()
        assert committed == render(schema), f"{name} drifted: run `make schemas` and commit docs/events/"


def test_there_is_a_model_for_every_event_in_the_product():
    # the product's eight events, plus HandoffRejected (a sales tool's reject), HandoffAtRisk (a warning) and
    # ConsentChanged (an opt-out reaching every service) and SlaPoliciesActivated (the deadlines' one owner
    # announcing them to routing)
    assert set(EVENT_TYPES) == {
        "leadrelay.handoff.rejected.v1",
        "leadrelay.handoff.at-risk.v1",
        "leadrelay.lead.captured.v1",
        "leadrelay.lead.activity.v1",
        "leadrelay.lead.scored.v1",
        "leadrelay.lead.qualified.v1",
        "leadrelay.lead.contacted.v1",
        "leadrelay.handoff.breached.v1",
        "leadrelay.lead.outcome.v1",
        "leadrelay.lead.erased.v1",
        "leadrelay.lead.consent-changed.v1",
        "leadrelay.sla.policies-activated.v1",
    }
