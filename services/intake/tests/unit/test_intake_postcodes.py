"""Postcodes -> department -> time zone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.postcodes import department_for_postcode, normalise_postcode, time_zone_for_department
from relais_intake.domain.problems import FieldProblem


@pytest.mark.parametrize(
    ("postcode", "department"),
    [
        ("75001", "75"), ("01000", "01"), ("13008", "13"), ("69003", "69"), ("95880", "95"), ("57000", "57"),
        ("20000", "2A"), ("20090", "2A"), ("20199", "2A"), ("20200", "2B"), ("20600", "2B"), ("20699", "2B"),
        ("97100", "971"), ("97133", "971"), ("97200", "972"), ("97300", "973"), ("97400", "974"),
        ("97500", "975"), ("97600", "976"), ("97699", "976"), (" 75011 ", "75"), (75011, "75"),
    ],
)
def test_departments(postcode: object, department: str) -> None:
    assert department_for_postcode(postcode) == department  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "postcode",
    ["00100", "00000", "96000", "97000", "97099", "97700", "97800", "98000", "99999", "20700", "20999",
     "7500", "750011", "75 001", "7500A", "", "２０１００", 7500, True, None, 75001.0],
)
def test_refused_postcodes(postcode: object) -> None:
    with pytest.raises(FieldProblem) as refused:
        department_for_postcode(postcode)  # type: ignore[arg-type]
    assert refused.value.code in {"invalid_postcode", "required"}


def test_four_digit_postcode_hints_at_a_lost_leading_zero() -> None:
    with pytest.raises(FieldProblem, match="leading zero"):
        normalise_postcode("1000")


@pytest.mark.parametrize(
    ("department", "zone"),
    [("971", "America/Guadeloupe"), ("972", "America/Martinique"), ("973", "America/Cayenne"),
     ("974", "Indian/Reunion"), ("975", "America/Miquelon"), ("976", "Indian/Mayotte"),
     ("75", "Europe/Paris"), ("2A", "Europe/Paris"), ("2B", "Europe/Paris"), ("67", "Europe/Paris")],
)
def test_time_zones(department: str, zone: str) -> None:
    assert time_zone_for_department(department) == zone


@given(st.from_regex(r"\A[0-9]{5}\Z"))
def test_every_five_digit_code_is_a_known_department_or_refused(postcode: str) -> None:
    number = int(postcode)
    try:
        department = department_for_postcode(postcode)
    except FieldProblem:
        assert number < 1000 or 96000 <= number < 97100 or number >= 97700 or 20700 <= number < 21000
        return
    if department in ("2A", "2B"):
        assert postcode.startswith("20")
    elif len(department) == 3:
        assert postcode.startswith(department) and department in {"971", "972", "973", "974", "975", "976"}
    else:
        assert postcode.startswith(department) and 1 <= int(department) <= 95 and department != "20"
    assert time_zone_for_department(department).count("/") == 1
