import json
from datetime import UTC, datetime

import pytest

from leadrelay.events import DecodeError, UnknownEventType, decode, encode, new_event
from leadrelay.events.lead import Contact, LeadCaptured


def captured(**extra):
    return LeadCaptured(
        lead_id="L1",
        source="web_form",
        completeness="partial",
        contact=Contact(email="a@example.com"),
        **extra,
    )


def test_round_trip_keeps_cloudevents_fields_and_typed_data():
    event = new_event(
        captured(), source="leadrelay/capture", subject="L1", time=datetime(2026, 11, 22, tzinfo=UTC)
    )
    body = json.loads(encode(event))
    assert body["specversion"] == "1.0"
    assert body["type"] == "leadrelay.lead.captured.v1"
    assert body["subject"] == "L1"
    assert body["datacontenttype"] == "application/json"
    decoded = decode(encode(event))
    assert isinstance(decoded.data, LeadCaptured)
    assert decoded.data.contact.email == "a@example.com"
    assert decoded.id == event.id


def test_unknown_optional_fields_are_accepted_and_kept():
    body = json.loads(encode(new_event(captured(), source="s", subject="L1")))
    body["data"]["shiny_new_field"] = {"x": 1}
    body["traceparent"] = "00-abc"
    decoded = decode(json.dumps(body).encode())
    assert decoded.data.model_dump()["shiny_new_field"] == {"x": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"id": "x"}', "not a CloudEvent"),
    ],
)
def test_undecodable_values_raise_decode_error(raw, message):
    with pytest.raises(DecodeError, match=message):
        decode(raw)


def test_unknown_major_version_is_rejected():
    body = json.loads(encode(new_event(captured(), source="s", subject="L1")))
    body["type"] = "leadrelay.lead.captured.v2"
    with pytest.raises(UnknownEventType, match="unknown event type"):
        decode(json.dumps(body).encode())


def test_invalid_data_names_the_field():
    body = json.loads(encode(new_event(captured(), source="s", subject="L1")))
    body["data"]["completeness"] = "half"
    with pytest.raises(DecodeError, match="completeness"):
        decode(json.dumps(body).encode())


def test_a_type_key_inside_data_or_a_foreign_key_order_decodes_by_the_envelope_s_own_type():
    event = new_event(captured(), source="crm", subject="L1", time=datetime(2026, 11, 22, tzinfo=UTC))
    body = json.loads(encode(event))
    data = {"type": "leadrelay.lead.erased.v1", **body.pop("data")}  # read first, but not the envelope's type
    reordered = json.dumps({"data": data, **body, "tenant": "acme"}).encode()
    decoded = decode(reordered)
    assert decoded.type == "leadrelay.lead.captured.v1" and isinstance(decoded.data, LeadCaptured)
    assert decoded.model_extra == {"tenant": "acme"} and type(decoded).__name__ == "Envelope"
    assert decoded.id == event.id and decoded.data.model_extra == {"type": "leadrelay.lead.erased.v1"}


def test_the_one_pass_decode_gives_what_the_two_pass_decode_gives():
    from leadrelay.events import envelope

    raw = encode(new_event(captured(utm={"utm_source": "x"}), source="t", subject="L1"))
    body = json.loads(raw)
    two_pass = envelope.Envelope.model_validate(body)
    two_pass.data = LeadCaptured.model_validate(two_pass.data)
    assert envelope._decode_typed(raw) == two_pass
