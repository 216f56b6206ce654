"""Settings fail fast on a default secret in production; logs never carry personal data; ids are stable."""

from __future__ import annotations

import json
import logging
import pickle
import uuid

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from relais_platform.config import DEFAULT_JWT_SECRET, PlatformSettings
from relais_platform.db import FastUUID
from relais_platform.ids import RELAIS_NAMESPACE, case_id_for, derived_id, name_id, name_id_text
from relais_platform.logging import REDACTED, configure_logging, redact_personal_data


def test_production_refuses_the_default_or_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_ENV", "production")
    with pytest.raises(ValidationError, match="RELAIS_JWT_SECRET"):
        PlatformSettings()
    monkeypatch.setenv("RELAIS_JWT_SECRET", "short")
    with pytest.raises(ValidationError, match="32 characters"):
        PlatformSettings()
    monkeypatch.setenv("RELAIS_JWT_SECRET", "x" * 48)
    assert PlatformSettings().env == "production"


def test_local_mode_accepts_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAIS_ENV", raising=False)
    monkeypatch.delenv("RELAIS_JWT_SECRET", raising=False)
    assert PlatformSettings().jwt_secret == DEFAULT_JWT_SECRET


def test_settings_read_the_relais_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_KAFKA_BOOTSTRAP", "k:1")
    assert PlatformSettings().kafka_bootstrap == "k:1"


def test_personal_fields_are_redacted_at_any_depth() -> None:
    out = redact_personal_data(None, "info", {"event": "x", "phone": "+33612345678", "case_id": "c",
                                              "customer": {"last_name": "Durand", "department": "93"}})
    assert out["phone"] == REDACTED and out["customer"]["last_name"] == REDACTED
    assert out["case_id"] == "c" and out["customer"]["department"] == "93"


def test_log_lines_are_json_without_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="test", level="INFO", json=True)
    structlog.get_logger("t").info("case opened", case_id="abc", first_name="Zoé")
    logging.getLogger().handlers[0].flush()
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "case opened" and line["first_name"] == REDACTED and line["service"] == "test"


def test_case_id_is_deterministic_and_distinguishes_its_inputs() -> None:
    campaign = uuid.uuid4()
    a = case_id_for(partner_id="p", campaign_id=campaign, external_ref="R1")
    assert a == case_id_for(partner_id="p", campaign_id=str(campaign), external_ref="R1")
    assert a != case_id_for(partner_id="p", campaign_id=campaign, external_ref="R2")
    assert a != case_id_for(partner_id="q", campaign_id=campaign, external_ref="R1")
    assert derived_id("line", a) == derived_id("line", a) != derived_id("visit", a)


@given(st.text(max_size=200))
def test_fast_ids_are_rfc4122_uuid5_in_the_relais_namespace(name: str) -> None:
    expected = uuid.uuid5(RELAIS_NAMESPACE, name)
    assert name_id(name) == expected and name_id_text(name) == str(expected)
    assert name_id(name).version == 5 and name_id(name).variant == uuid.RFC_4122


def test_issued_ids_never_change() -> None:
    # Ids already stored and published: a change of namespace or name would orphan every one of them.
    case_id = case_id_for(partner_id="acme", campaign_id="00000000-0000-4000-8000-000000000001", external_ref="R1")
    assert case_id == uuid.uuid5(RELAIS_NAMESPACE, "case|acme|00000000-0000-4000-8000-000000000001|R1")
    assert derived_id("case-opened", case_id) == uuid.uuid5(RELAIS_NAMESPACE, f"case-opened|{case_id}")


@given(st.uuids())
def test_a_fast_uuid_is_the_uuid_for_every_use(value) -> None:
    fast = FastUUID(str(value))
    assert isinstance(fast, uuid.UUID)
    assert (fast == value, value == fast, hash(fast), str(fast), fast.bytes, fast.int) == (
        True, True, hash(value), str(value), value.bytes, value.int)
    assert {value: 1}[fast] == 1 and pickle.loads(pickle.dumps(fast)) == value
    assert sorted([fast, uuid.UUID(int=0)]) == sorted([value, uuid.UUID(int=0)])
