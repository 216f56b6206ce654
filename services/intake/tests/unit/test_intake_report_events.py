"""The rejections CSV and the CaseOpened event built from a valid case."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

from relais_intake.bootstrap import SOURCE
from relais_intake.domain.campaign import Campaign, CampaignStatus
from relais_intake.domain.rejection_report import StoredRejection, render_rejections_csv
from relais_intake.domain.validation import ValidCase, validate_case
from relais_intake.service_layer.opened_events import case_opened
from relais_platform.contracts import CaseOpened
from relais_platform.events import decode, encode
from relais_platform.ids import derived_id


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


def test_case_opened_follows_the_contract() -> None:
    now = datetime(2025, 6, 15, 8, 30, tzinfo=UTC)
    campaign = Campaign(uuid.uuid4(), "acme", "Hiver", CampaignStatus.ACTIVE, "RGPD 6(1)(f)", date(2025, 6, 1),
                        date(2025, 9, 30), "door_to_door", 7, "T1", now, now)
    case = validate_case({"external_ref": "R1", "first_name": "Léa", "last_name": "Payet", "phone": "0692123456",
                          "address": {"line1": "3 rue", "postcode": "97400", "city": "Saint-Denis"},
                          "amount_due": "99,90", "debt_since": "2025-01-02"}, line=1, today=date(2025, 6, 15))
    assert isinstance(case, ValidCase)
    case_id = uuid.uuid4()
    event = decode(encode(case_opened(case, campaign=campaign, case_id=case_id, opened_at=now)), CaseOpened)
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
