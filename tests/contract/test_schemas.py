"""The published JSON Schemas, the AsyncAPI document and the Python contract models agree."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import orjson
import pytest
import yaml

from relais_cli.schemas import SCHEMAS_DIR, file_for, mismatches, schema_for
from relais_platform.contracts import (
    ALL_EVENTS,
    Address,
    AssignmentChanged,
    AttemptRecorded,
    BillingLineRecorded,
    CaseOpened,
    CaseRecalled,
    CaseRejected,
    CaseResolved,
    Customer,
    PaymentPlan,
    Topics,
)
from relais_platform.events import decode, encode, envelope

ASYNCAPI = SCHEMAS_DIR.parent / "asyncapi.yaml"
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
CASE = uuid.uuid4()
CAMPAIGN = uuid.uuid4()

SAMPLES = [
    CaseOpened(case_id=CASE, partner_id="eau-de-loire", campaign_id=CAMPAIGN, external_ref="ELO-1",
               customer=Customer(first_name="Zoé", last_name="N'Diaye", phone_e164="+33612345678",
                                 phone_kind="mobile", time_zone="Europe/Paris", department="93",
                                 address=Address(line1="3 rue Ordener", postcode="93200", city="Saint-Denis")),
               amount_due_cents=123456, opened_at=NOW),
    CaseRecalled(case_id=CASE, partner_id="eau-de-loire", campaign_id=CAMPAIGN, external_ref="ELO-1",
                 reason="paid at the counter", recalled_at=NOW),
    CaseRejected(submission_id=uuid.uuid4(), partner_id="eau-de-loire", campaign_id=CAMPAIGN, channel="csv", line=7,
                 external_ref="ELO-7", raw={"Nom": "Durand", "Montant dû": "-3"},
                 reasons=[{"field": "amount_due", "code": "not_positive", "reason": "the amount must be above zero"}],
                 rejected_at=NOW),
    AssignmentChanged(case_id=CASE, partner_id="eau-de-loire", campaign_id=CAMPAIGN, status="assigned",
                      site_id="pimms-paris-nord", agent_id="agent-amina", changed_at=NOW),
    AttemptRecorded(attempt_id=uuid.uuid4(), case_id=CASE, partner_id="eau-de-loire", campaign_id=CAMPAIGN,
                    agent_id="agent-amina", site_id="pimms-paris-nord", channel="phone", result="reached",
                    attempted_at=NOW),
    CaseResolved(outcome_id=uuid.uuid4(), case_id=CASE, partner_id="eau-de-loire", campaign_id=CAMPAIGN,
                 external_ref="ELO-1", outcome="payment_plan", resolved_at=NOW,
                 payment_plan=PaymentPlan(instalments=2, first_due_date=date(2026, 12, 15),
                                          instalment_amounts_cents=[61728, 61728])),
    BillingLineRecorded(line_id=uuid.uuid4(), partner_id="eau-de-loire", case_id=CASE, campaign_id=CAMPAIGN,
                        kind="case_closed", amount_cents=4500, period="2026-11", occurred_at=NOW,
                        evidence_event_ids=[uuid.uuid4()]),
]


def test_every_schema_file_matches_its_model() -> None:
    assert mismatches() == []


def test_every_event_model_has_a_sample() -> None:
    assert {type(s) for s in SAMPLES} == set(ALL_EVENTS)


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: type(d).__name__)
def test_a_published_event_validates_against_its_schema_file(data) -> None:
    schema = orjson.loads(file_for(type(data)).read_bytes())
    event = orjson.loads(encode(envelope(data, source="/relais/test")))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(event)
    assert decode(orjson.dumps(event), type(data)).data == data


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: type(d).__name__)
def test_schema_refuses_an_event_of_another_type_or_with_an_unknown_field(data) -> None:
    validator = jsonschema.Draft202012Validator(schema_for(type(data)))
    event = orjson.loads(encode(envelope(data, source="/relais/test")))
    assert not validator.is_valid({**event, "type": "relais.something.else.v1"})
    assert not validator.is_valid({**event, "data": {**event["data"], "surprise": 1}})


def test_asyncapi_lists_every_event_topic_with_its_schema_and_key() -> None:
    doc = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    addresses = {c["address"]: c for c in doc["channels"].values()}
    messages = doc["components"]["messages"]
    for model in ALL_EVENTS:
        assert model.topic in addresses, f"{model.topic} missing from asyncapi.yaml"
        (ref,) = [m["$ref"] for m in addresses[model.topic]["messages"].values()]
        message = messages[ref.rsplit("/", 1)[1]]
        assert message["name"] == model.event_type
        assert (ASYNCAPI.parent / message["payload"]["$ref"]).resolve() == file_for(model).resolve()
        assert message["bindings"]["kafka"]["key"]


def test_every_schema_file_belongs_to_a_known_topic() -> None:
    files = {p.name for p in Path(SCHEMAS_DIR).glob("*.json")}
    assert files == {f"{m.topic}.json" for m in ALL_EVENTS}
    assert {m.topic for m in ALL_EVENTS} <= set(Topics.ALL)
