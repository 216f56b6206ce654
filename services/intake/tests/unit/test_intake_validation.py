"""validate_case: every field checked, every problem reported, contact rules applied."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.validation import RejectedCase, ValidCase, validate_case

TODAY = date(2025, 6, 15)


def raw(**overrides: Any) -> dict[str, Any]:
    case = {"external_ref": "ACME-2025/001", "first_name": " Léa ", "last_name": "Dupont  Moreau",
            "phone": "06 12 34 56 78", "address": {"line1": "12 rue des Lilas", "postcode": "69003", "city": "Lyon"},
            "amount_due": "1 234,56 €", "debt_since": "01/02/2025"}
    case.update(overrides)
    return {k: v for k, v in case.items() if v is not ...}


def valid(**overrides: Any) -> ValidCase:
    result = validate_case(raw(**overrides), line=7, today=TODAY)
    assert isinstance(result, ValidCase), result
    return result


def reasons(**overrides: Any) -> dict[str, str]:
    result = validate_case(raw(**overrides), line=7, today=TODAY)
    assert isinstance(result, RejectedCase), result
    return {r.field: r.code for r in result.reasons}


def test_a_complete_case_is_cleaned() -> None:
    case = valid()
    assert (case.line, case.external_ref, case.first_name, case.last_name) == (7, "ACME-2025/001", "Léa",
                                                                               "Dupont Moreau")
    assert (case.phone.e164, case.phone.kind) == ("+33612345678", "mobile")  # type: ignore[union-attr]
    assert case.address is not None and case.address.city == "Lyon"
    assert (case.postcode, case.department, case.time_zone) == ("69003", "69", "Europe/Paris")
    assert (case.amount_due_cents, case.debt_since, case.warnings) == (123456, date(2025, 2, 1), ())


def test_every_error_is_collected_not_just_the_first() -> None:
    assert reasons(external_ref="bad ref!", first_name="", last_name=None, amount_due="-5", debt_since="2099-01-01",
                   address={"line1": "", "postcode": "00100", "city": "X"}, phone="123") == {
        "external_ref": "invalid_format", "first_name": "required", "last_name": "required",
        "amount_due": "negative", "debt_since": "in_future", "address.line1": "required",
        "address.postcode": "invalid_postcode", "phone": "invalid_phone",
    }


def test_bad_phone_with_good_address_is_accepted_without_phone_and_warned() -> None:
    case = valid(phone="06 12")
    assert case.phone is None and case.address is not None
    assert [(w.field, w.code) for w in case.warnings] == [("phone", "invalid_phone")]


def test_bad_phone_without_address_is_rejected() -> None:
    assert reasons(phone="06 12", address=...) == {"phone": "invalid_phone"}


def test_neither_phone_nor_address_is_rejected() -> None:
    assert reasons(phone=..., address=...) == {"phone": "contact_required"}
    assert reasons(phone="", address={}) == {"phone": "contact_required"}


def test_address_only_is_enough() -> None:
    case = valid(phone=None)
    assert case.phone is None and case.department == "69"


def test_phone_only_needs_a_postcode_for_a_mainland_number() -> None:
    assert reasons(address=...) == {"postcode": "department_unknown"}
    case = valid(address=..., postcode="67000")
    assert (case.department, case.postcode, case.address) == ("67", "67000", None)
    assert reasons(address=..., postcode="99999") == {"postcode": "invalid_postcode"}


def test_overseas_phone_alone_gives_the_department_and_zone() -> None:
    case = valid(address=..., phone="0692 12 34 56")
    assert (case.department, case.time_zone, case.phone.e164) == ("974", "Indian/Reunion",  # type: ignore[union-attr]
                                                                  "+262692123456")


def test_the_address_decides_the_zone_over_the_phone() -> None:
    case = valid(phone="0696 12 34 56", address={"line1": "1 quai", "postcode": "20000", "city": "Ajaccio"})
    assert (case.department, case.time_zone) == ("2A", "Europe/Paris")


@pytest.mark.parametrize(
    ("address", "field", "code"),
    [
        ("12 rue des Lilas", "address", "invalid_type"),
        ({"line1": "1 rue", "postcode": "69003"}, "address.city", "required"),
        ({"line1": "1 rue", "city": "Lyon"}, "address.postcode", "required"),
        ({"line1": "1 rue", "postcode": "6900", "city": "Lyon"}, "address.postcode", "invalid_postcode"),
        ({"line1": "x" * 201, "postcode": "69003", "city": "Lyon"}, "address.line1", "too_long"),
        ({"line1": "1", "postcode": "69003", "city": "Lyon", "zip": "1"}, "address.zip", "unknown_field"),
        ({"line1": "1", "postcode": "69003", "city": "Lyon", "latitude": 91}, "address.latitude", "invalid_coordinate"),
        ({"line1": "1", "postcode": "69003", "city": "Lyon", "longitude": "east"}, "address.longitude",
         "invalid_coordinate"),
    ],
)
def test_a_bad_address_is_rejected_even_with_a_phone(address: Any, field: str, code: str) -> None:
    assert reasons(address=address) == {field: code}


def test_address_details_are_kept() -> None:
    case = valid(address={"line1": " Bât. B ", "line2": "  3e étage ", "postcode": "97400", "city": "Saint-Denis",
                          "latitude": "-20,88", "longitude": 55.45})
    assert case.address is not None
    assert case.address.as_dict() == {"line1": "Bât. B", "line2": "3e étage", "postcode": "97400",
                                      "city": "Saint-Denis", "latitude": -20.88, "longitude": 55.45}
    assert (case.department, case.time_zone) == ("974", "Indian/Reunion")


@pytest.mark.parametrize(
    ("ref", "code"),
    [(None, "required"), ("", "required"), ("a b", "invalid_format"), ("é", "invalid_format"),
     ("x" * 65, "too_long"), (True, "invalid_type"), (1.5, "invalid_type")],
)
def test_external_ref_rules(ref: object, code: str) -> None:
    assert reasons(external_ref=ref) == {"external_ref": code}


def test_external_ref_may_be_a_number_and_is_trimmed() -> None:
    assert valid(external_ref=12345).external_ref == "12345"
    assert valid(external_ref=" A.b_c/d-1 ").external_ref == "A.b_c/d-1"
    assert valid(external_ref="x" * 64).external_ref == "x" * 64


def test_unknown_fields_are_kept_aside_in_extra() -> None:
    case = valid(contract="EDF-99", extra={"segment": "B2C", "contract": "explicit wins"})
    assert case.extra == {"contract": "explicit wins", "segment": "B2C"}
    assert reasons(extra="not an object") == {"extra": "invalid_type"}


def test_nul_characters_never_reach_storage() -> None:
    case = valid(note="a\x00b")
    assert case.extra == {"note": "a\ufffdb"}
    rejected = validate_case(raw(first_name="A\x00", external_ref="R\x00"), line=1, today=TODAY)
    assert isinstance(rejected, RejectedCase)
    assert rejected.external_ref == "R\ufffd" and rejected.raw["first_name"] == "A\ufffd"


def test_debt_since_is_optional() -> None:
    assert valid(debt_since=None).debt_since is None
    assert valid(debt_since="").debt_since is None
    assert valid(debt_since="2025-06-15").debt_since == TODAY


def test_a_rejection_keeps_line_reference_and_raw_fields() -> None:
    sent = raw(amount_due="abc")
    rejected = validate_case(sent, line=3, today=TODAY)
    assert isinstance(rejected, RejectedCase)
    assert (rejected.line, rejected.external_ref, rejected.raw) == (3, "ACME-2025/001", sent)


def test_something_other_than_an_object_is_rejected() -> None:
    rejected = validate_case(["not", "a", "case"], line=1, today=TODAY)
    assert isinstance(rejected, RejectedCase) and rejected.reasons[0].code == "invalid_type"


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
field_names = st.sampled_from(["external_ref", "first_name", "last_name", "phone", "postcode", "amount_due",
                               "debt_since", "address", "extra", "other"])


@given(st.dictionaries(field_names, st.one_of(scalars, st.dictionaries(st.text(max_size=8), scalars, max_size=4))))
def test_any_input_is_valid_or_rejected_with_reasons(case: dict[str, Any]) -> None:
    result = validate_case(case, line=1, today=TODAY)
    if isinstance(result, RejectedCase):
        assert result.reasons and all(r.field and r.code and r.reason for r in result.reasons)
    else:
        assert result.amount_due_cents > 0 and (result.phone or result.address) and result.department
