"""More properties of the amount, phone and postcode parsers: valid values round-trip through their normal form,
and no input of any type raises anything but a FieldProblem."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.money import MAX_AMOUNT_CENTS, parse_amount_cents
from relais_intake.domain.phones import parse_phone
from relais_intake.domain.postcodes import department_for_postcode, normalise_postcode, time_zone_for_department
from relais_intake.domain.problems import FieldProblem

anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                     st.binary(max_size=10), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(), st.text()))


def _only_field_problems(parse, value) -> object:
    try:
        return parse(value)
    except FieldProblem:
        return None


@given(anything)
def test_no_input_breaks_any_parser(value: object) -> None:
    for parse in (parse_amount_cents, parse_phone, normalise_postcode):
        _only_field_problems(parse, value)
    cents = _only_field_problems(parse_amount_cents, value)
    assert cents is None or (type(cents) is int and 0 < cents <= MAX_AMOUNT_CENTS)  # a parsed amount is storable


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
def test_cents_written_back_as_french_text_round_trip(cents: int) -> None:
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", "\u202f")
    assert parse_amount_cents(f"{grouped},{rest:02d}\u202f€") == cents
    assert _only_field_problems(parse_amount_cents, f"-{grouped},{rest:02d}") is None


@given(st.text("0123456789", min_size=8, max_size=8), st.sampled_from("67"))
def test_a_parsed_phone_reads_back_as_itself(rest: str, second: str) -> None:
    phone = _only_field_problems(parse_phone, f"0{second}{rest}")
    if phone is not None:
        again = parse_phone(phone.e164)
        assert (again.e164, again.kind, again.department) == (phone.e164, phone.kind, phone.department)


@given(st.integers(min_value=20000, max_value=20699))
def test_corsican_postcodes_map_to_2a_or_2b(number: int) -> None:
    department = department_for_postcode(str(number))
    assert department == ("2A" if number < 20200 else "2B")
    assert time_zone_for_department(department) == "Europe/Paris"


@given(st.sampled_from(["971", "972", "973", "974", "975", "976"]), st.integers(min_value=0, max_value=99))
def test_overseas_postcodes_keep_their_department_and_zone(department: str, rest: int) -> None:
    postcode = f"{department}{rest:02d}"
    assert normalise_postcode(f"  {postcode} ") == postcode
    assert department_for_postcode(postcode) == department
    assert time_zone_for_department(department) != "Europe/Paris"
