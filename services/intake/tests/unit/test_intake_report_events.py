"""The rejections CSV and the CaseOpened event built from a valid case."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.adapters.case_ids import case_id_text, case_opened_event_id
from relais_intake.bootstrap import SOURCE
from relais_intake.domain.campaign import Campaign, CampaignStatus
from relais_intake.domain.rejection_report import StoredRejection, render_rejections_csv
from relais_intake.domain.validation import ValidCase, validate_case
from relais_intake.service_layer.opened_events import opened_events
from relais_platform.contracts import CaseOpened
from relais_platform.events import Envelope, decode, encode, envelope
from relais_platform.ids import case_id_for, derived_id


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_rejections_csv_has_fields_as_sent_and_reasons() -> None:
    text = render_rejections_csv([
        StoredRejection(2, "R-2", {"external_ref": "R-2", "first_name": "Zoé", "amount_due": "-3",
                                   "address": {"postcode": "0010", "city": "Lyon"}, "contract": "C1"},
                        [{"field": "amount_due", "code": "negative", "reason": "must be positive"},
                         {"field": "address.postcode", "code": "invalid_postcode", "reason": "not 5 digits"}]),
        StoredRejection(5, None, {"first_name": "=HYPERLINK(\"x\")", "amount_due": 12.5, "debt_since": None}, []),
    ])
    assert text.endswith("\r\n")
    header, first, second = _rows(text)
    assert header[:3] == ["line", "external_ref", "first_name"] and header[-2:] == ["contract", "reasons"]
    row = dict(zip(header, first, strict=True))
    assert (row["line"], row["external_ref"], row["first_name"], row["amount_due"]) == ("2", "R-2", "Zoé", "'-3")
    assert (row["address.postcode"], row["address.city"], row["contract"]) == ("0010", "Lyon", "C1")
    assert row["reasons"] == "amount_due: must be positive | address.postcode: not 5 digits"
    other = dict(zip(header, second, strict=True))
    assert other["first_name"].startswith("'=") and other["amount_due"] == "12.5" and other["external_ref"] == ""


def test_empty_rejections_give_a_header_only() -> None:
    assert len(_rows(render_rejections_csv([]))) == 1


class _DriverUuid(uuid.UUID):
    """Stands for asyncpg's own UUID class (campaign ids read from the database are of that kind)."""


def _campaign(now: datetime, *, channel: str | None = "door_to_door", priority: int = 7) -> Campaign:
    return Campaign(_DriverUuid(int=uuid.uuid4().int), "acme", "Hiver", CampaignStatus.ACTIVE, "RGPD 6(1)(f)",
                    date(2025, 6, 1), date(2025, 9, 30), channel, priority, "T1", now, now)


def _opened(case: ValidCase, campaign: Campaign, case_id: uuid.UUID, now: datetime) -> bytes:
    [event] = opened_events([case], campaign=campaign, case_ids={case.external_ref: str(case_id)}, opened_at=now)
    assert (event.event_id, event.topic, event.key) == (str(derived_id("case-opened", case_id)), CaseOpened.topic,
                                                       str(case_id))
    assert not event.dedupe  # enqueued only for the cases the chunk's insert really added
    return event.value


def test_case_opened_follows_the_contract() -> None:
    now = datetime(2025, 6, 15, 8, 30, tzinfo=UTC)
    campaign = _campaign(now)
    case = validate_case({"external_ref": "R1", "first_name": "Léa", "last_name": "Payet", "phone": "0692123456",
                          "address": {"line1": "3 rue", "postcode": "97400", "city": "Saint-Denis"},
                          "amount_due": "99,90", "debt_since": "2025-01-02"}, line=1, today=date(2025, 6, 15))
    assert isinstance(case, ValidCase)
    case_id = uuid.uuid4()
    event = decode(_opened(case, campaign, case_id, now), CaseOpened)
    assert (event.id, event.source, event.subject, event.type) == (derived_id("case-opened", case_id), SOURCE,
                                                                   str(case_id), "relais.case.opened.v1")
    data = event.data
    assert (data.partner_id, data.campaign_id, data.external_ref) == ("acme", campaign.campaign_id, "R1")
    assert (data.amount_due_cents, data.debt_since, data.opened_at) == (9990, date(2025, 1, 2), now)
    assert (data.campaign_priority, data.campaign_ends_on, data.channel_preference) == (7, date(2025, 9, 30),
                                                                                       "door_to_door")
    customer = data.customer
    assert (customer.department, customer.time_zone, customer.phone_e164, customer.phone_kind) == (
        "974", "Indian/Reunion", "+262692123456", "mobile")
    assert customer.address is not None and customer.address.postcode == "97400"


def _pydantic_built(case: ValidCase, campaign: Campaign, case_id: uuid.UUID, now: datetime) -> Envelope[CaseOpened]:
    """The reference: the same event through the contract model and the platform envelope."""
    customer = {"first_name": case.first_name, "last_name": case.last_name,
                "phone_e164": case.phone.e164 if case.phone else None,
                "phone_kind": case.phone.kind if case.phone else None,
                "address": case.address.as_dict() if case.address else None,
                "time_zone": case.time_zone, "department": case.department}
    data = CaseOpened.model_validate({
        "case_id": case_id, "partner_id": campaign.partner_id, "campaign_id": campaign.campaign_id,
        "external_ref": case.external_ref, "customer": customer, "amount_due_cents": case.amount_due_cents,
        "debt_since": case.debt_since, "channel_preference": campaign.channel_preference,
        "campaign_priority": campaign.priority, "campaign_ends_on": campaign.ends_on, "opened_at": now})
    return envelope(data, source=SOURCE, event_id=derived_id("case-opened", case_id), time=now)


_CASES = [
    {"external_ref": "R1", "first_name": "Léa", "last_name": "Payet", "phone": "0692123456",
     "address": {"line1": "3 rue", "line2": "Bât. B", "postcode": "97400", "city": "Saint-Denis",
                 "latitude": -20.88, "longitude": 55.45}, "amount_due": "99,90", "debt_since": "2025-01-02"},
    {"external_ref": "R2", "first_name": "Jean-Pierre", "last_name": "N'Diaye", "phone": "+33 6 12 34 56 78",
     "postcode": "20200", "amount_due": "1 234,56 €", "contrat": "C-9"},
    {"external_ref": "R3", "first_name": "Zoë", "last_name": "de La Fontaine", "amount_due": 12,
     "address": {"line1": "1 place de l'Église", "postcode": "01000", "city": "Bourg-en-Bresse"}},
    {"external_ref": "R4", "first_name": "Thị", "last_name": "Nguyễn", "phone": "01 42 68 53 00",
     "postcode": "75011", "amount_due": "0,01"},
]


@given(st.text(max_size=30), st.uuids(), st.text(max_size=70))
def test_case_and_event_ids_are_the_platform_ones(partner_id: str, campaign_id: uuid.UUID, external_ref: str) -> None:
    case_id = case_id_text(partner_id=partner_id, campaign_id=str(campaign_id), external_ref=external_ref)
    assert case_id == str(case_id_for(partner_id=partner_id, campaign_id=campaign_id, external_ref=external_ref))
    assert case_opened_event_id(case_id) == str(derived_id("case-opened", uuid.UUID(case_id)))


@pytest.mark.parametrize("raw", _CASES, ids=[c["external_ref"] for c in _CASES])
@pytest.mark.parametrize("opened_at", [datetime(2025, 6, 15, 8, 30, tzinfo=UTC),
                                       datetime(2025, 6, 15, 8, 30, 1, 123456, tzinfo=UTC)])
@pytest.mark.parametrize("channel", [None, "phone"])
def test_case_opened_bytes_equal_the_pydantic_built_event(raw: dict[str, object], opened_at: datetime,
                                                          channel: str | None) -> None:
    case = validate_case(raw, line=1, today=date(2025, 6, 15))
    assert isinstance(case, ValidCase)
    campaign, case_id = _campaign(opened_at, channel=channel, priority=0 if channel else 9), uuid.uuid4()
    built = _opened(case, campaign, case_id, opened_at)
    reference = _pydantic_built(case, campaign, case_id, opened_at)
    decoded = decode(built, CaseOpened)
    for name in Envelope.model_fields:
        if name != "data":
            assert getattr(decoded, name) == getattr(reference, name), name
    for name in CaseOpened.model_fields:
        assert getattr(decoded.data, name) == getattr(reference.data, name), name
    assert built == encode(reference)  # byte for byte what the platform's encoder writes
