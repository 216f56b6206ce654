"""Phone numbers in every usual French form -> E.164, kind and (overseas) department."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.phones import parse_phone
from relais_intake.domain.problems import FieldProblem


@pytest.mark.parametrize(
    ("text", "e164", "kind", "department"),
    [
        ("06 12 34 56 78", "+33612345678", "mobile", None),
        ("0612345678", "+33612345678", "mobile", None),
        ("+33 6 12 34 56 78", "+33612345678", "mobile", None),
        ("+33 (0)6 12 34 56 78", "+33612345678", "mobile", None),
        ("0033612345678", "+33612345678", "mobile", None),
        ("06.12.34.56.78", "+33612345678", "mobile", None),
        ("06-12-34-56-78", "+33612345678", "mobile", None),
        (612345678, "+33612345678", "mobile", None),
        ("07 81 23 45 67", "+33781234567", "mobile", None),
        ("01 23 45 67 89", "+33123456789", "landline", None),
        ("04 72 00 00 00", "+33472000000", "landline", None),
        ("09 12 34 56 78", "+33912345678", "other", None),
        ("0262 21 12 34", "+262262211234", "landline", "974"),
        ("0692 12 34 56", "+262692123456", "mobile", "974"),
        ("+262 692 12 34 56", "+262692123456", "mobile", "974"),
        ("00262692123456", "+262692123456", "mobile", "974"),
        ("+33 692 12 34 56", "+262692123456", "mobile", "974"),
        ("0269 61 12 34", "+262269611234", "landline", "976"),
        ("0639 22 33 44", "+262639223344", "mobile", "976"),
        ("0590 27 12 34", "+590590271234", "landline", "971"),
        ("0690 12 34 56", "+590690123456", "mobile", "971"),
        ("+590 690 12 34 56", "+590690123456", "mobile", "971"),
        ("0596 61 23 45", "+596596612345", "landline", "972"),
        ("0696 12 34 56", "+596696123456", "mobile", "972"),
        ("+596 696 12 34 56", "+596696123456", "mobile", "972"),
        ("0594 12 34 56", "+594594123456", "landline", "973"),
        ("0694 12 34 56", "+594694123456", "mobile", "973"),
        ("+594 694 12 34 56", "+594694123456", "mobile", "973"),
        ("0709 20 12 34", "+262709201234", "mobile", "974"),
        ("0709 35 12 34", "+262709351234", "mobile", "976"),
        ("0709 30 12 34", "+594709301234", "mobile", "973"),
        ("+508 41 12 34", "+508411234", "landline", "975"),
        ("0508 41 12 34", "+508411234", "landline", "975"),
        ("+269 3 21 23 45", "+2693212345", "mobile", None),
        ("+32 470 12 34 56", "+32470123456", "mobile", None),
    ],
)
def test_accepted_numbers(text: object, e164: str, kind: str, department: str | None) -> None:
    phone = parse_phone(text)
    assert (phone.e164, phone.kind, phone.department) == (e164, kind, department)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "0612", "06 12 34 56 7", "06 12 34 56 789", "07 12 34 56 78", "+33 0", "00 00 00 00 00",
     "0692 12 34", "+1", "06" * 30, True, None, 6.12, ["0612345678"]],
)
def test_refused_numbers_are_invalid_phone(text: object) -> None:
    with pytest.raises(FieldProblem) as refused:
        parse_phone(text)
    assert refused.value.code == "invalid_phone"


mainland_mobile = st.from_regex(r"\A(?:6(?:[0-24-8][0-9]|3[0-8]|9[589])|7[3-9][0-9])[0-9]{6}\Z")
overseas_mobile = st.one_of(
    st.tuples(st.from_regex(r"\A692[0-9]{6}\Z"), st.just(("+262", "974"))),
    st.tuples(st.from_regex(r"\A690[0-9]{6}\Z"), st.just(("+590", "971"))),
    st.tuples(st.from_regex(r"\A69[67][0-9]{6}\Z"), st.just(("+596", "972"))),
    st.tuples(st.from_regex(r"\A694[0-249][0-9]{5}\Z"), st.just(("+594", "973"))),
    st.tuples(st.from_regex(r"\A639(?:[267][0-9]|40)[0-9]{4}\Z"), st.just(("+262", "976"))),
)


def _styles(national: str) -> list[str]:
    pairs = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return [national, pairs, pairs.replace(" ", "."), f"+33 {national[1:]}", f"0033{national[1:]}"]


@given(mainland_mobile)
def test_mainland_mobiles_round_trip_to_e164(significant: str) -> None:
    for text in _styles(f"0{significant}"):
        phone = parse_phone(text)
        assert (phone.e164, phone.kind, phone.department) == (f"+33{significant}", "mobile", None), text
        assert parse_phone(phone.e164) == phone


@given(overseas_mobile)
def test_overseas_mobiles_round_trip_to_their_country_code(case: tuple[str, tuple[str, str]]) -> None:
    significant, (country_code, department) = case
    for text in [*_styles(f"0{significant}"), f"{country_code} {significant}"]:
        phone = parse_phone(text)
        assert (phone.e164, phone.kind, phone.department) == (f"{country_code}{significant}", "mobile", department)


@given(st.text(max_size=30))
def test_any_text_is_a_phone_or_invalid_phone(text: str) -> None:
    try:
        phone = parse_phone(text)
    except FieldProblem as problem:
        assert problem.code == "invalid_phone"
    else:
        assert phone.e164.startswith("+") and phone.kind in {"mobile", "landline", "other"}
