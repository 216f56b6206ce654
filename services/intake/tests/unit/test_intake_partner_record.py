"""Routing a partner's raw Kafka record, and the published description of that record format."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import yaml

from relais_intake.domain.partner_record import PartnerRecord, UnroutableRecord, read_record

ROOT = Path(__file__).parents[4]
CAMPAIGN = str(uuid.uuid4())


def test_headers_route_and_the_key_is_the_reference() -> None:
    routed = read_record(b"R1", b'{"last_name": "Dupont"}',
                         [("relais-partner-id", b"acme"), ("relais-campaign-id", CAMPAIGN.encode())])
    assert routed == PartnerRecord("acme", uuid.UUID(CAMPAIGN), {"last_name": "Dupont", "external_ref": "R1"})


def test_the_body_wins_over_headers_and_key() -> None:
    body = json.dumps({"partner_id": "beta", "campaign_id": CAMPAIGN, "external_ref": "B1"}).encode()
    routed = read_record(b"K", body, [("relais-partner-id", b"acme")])
    assert isinstance(routed, PartnerRecord) and (routed.partner_id, routed.case["external_ref"]) == ("beta", "B1")
    assert "partner_id" not in routed.case and "campaign_id" not in routed.case


def test_unroutable_records_say_why() -> None:
    cases = {
        (b"not json", (("relais-partner-id", b"acme"),)): ("invalid_json", "acme"),
        (b"[1, 2]", (("relais-partner-id", b"acme"),)): ("invalid_json", "acme"),
        (b'{"a": 1}', ()): ("partner_unknown", None),
        (b'{"a": 1}', (("relais-partner-id", b"Not A Slug"),)): ("partner_unknown", None),
        (b'{"a": 1}', (("relais-partner-id", b"acme"), ("relais-campaign-id", b"42"))): ("campaign_unknown", "acme"),
        (None, (("relais-partner-id", b"acme"),)): ("invalid_json", "acme"),
        (b"not json", (("relais-partner-id", b"Not A Slug"),)): ("invalid_json", None),
        (b'{"partner_id": "acme\\n"}', ()): ("partner_unknown", None),
    }
    for (value, headers), (code, partner) in cases.items():
        routed = read_record(b"K", value, list(headers))
        assert isinstance(routed, UnroutableRecord) and (routed.code, routed.partner_id) == (code, partner)


def test_the_record_schema_is_published_and_its_example_routes() -> None:
    schema = json.loads((ROOT / "schemas/records/relais.intake.submissions.v1.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for example in schema["examples"]:
        jsonschema.validate(example, schema)
        routed = read_record(None, json.dumps(example).encode(),
                             [("relais-partner-id", b"acme"), ("relais-campaign-id", CAMPAIGN.encode())])
        assert isinstance(routed, PartnerRecord)
    doc = yaml.safe_load((ROOT / "schemas/asyncapi.yaml").read_text(encoding="utf-8"))
    channel = doc["channels"]["intakeSubmissions"]
    assert channel["address"] == "relais.intake.submissions.v1"
    message = doc["components"]["messages"]["partnerCaseRecord"]
    assert message["payload"]["$ref"] == "./records/relais.intake.submissions.v1.json"
