"""Names and free text tidied but never respelt; dates in ISO or French form, never in the future."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.dates import parse_past_date
from relais_intake.domain.names import clean_name, clean_text
from relais_intake.domain.problems import FieldProblem


@pytest.mark.parametrize(
    ("given_name", "clean"),
    [
        ("  Dupont  ", "Dupont"), ("Jean   Pierre", "Jean Pierre"), ("Jean-Pierre", "Jean-Pierre"),
        ("d'Artagnan", "d'Artagnan"), ("O’Brien", "O’Brien"), ("de La Fontaine", "de La Fontaine"),
        ("Éloïse", "Éloïse"), ("E\u0301loi\u0308se", "Éloïse"), ("Nguyễn", "Nguyễn"), ("Ñúñez", "Ñúñez"),
        ("van\u00a0der\tBerg", "van der Berg"), ("Lê\n Văn", "Lê Văn"), ("x" * 100, "x" * 100),
    ],
)
def test_names_keep_their_spelling(given_name: str, clean: str) -> None:
    assert clean_name(given_name) == clean


@pytest.mark.parametrize(
    ("given_name", "code"),
    [(None, "required"), ("", "required"), ("   ", "required"), ("\u00a0\n", "required"), ("x" * 101, "too_long"),
     (12, "invalid_type"), (["A"], "invalid_type"), ("Ann\x00e", "invalid_characters"),
     ("Bob\u200b", "invalid_characters")],
)
def test_refused_names(given_name: object, code: str) -> None:
    with pytest.raises(FieldProblem) as refused:
        clean_name(given_name)
    assert refused.value.code == code


def test_text_length_limit_is_per_field() -> None:
    assert clean_text("a" * 200, max_length=200) == "a" * 200
    with pytest.raises(FieldProblem):
        clean_text("a" * 201, max_length=200)


@given(st.text(max_size=120))
def test_any_name_is_clean_or_refused(text: str) -> None:
    try:
        name = clean_name(text)
    except FieldProblem as problem:
        assert problem.code in {"required", "too_long", "invalid_characters"}
    else:
        assert name == name.strip() and "  " not in name and 1 <= len(name) <= 100
        assert unicodedata.is_normalized("NFC", name)


TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-03-15", date(2024, 3, 15)), ("15/03/2024", date(2024, 3, 15)), ("5/3/2024", date(2024, 3, 5)),
     (" 2025-06-15 ", TODAY), ("29/02/2024", date(2024, 2, 29))],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_past_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [("2025-06-16", "in_future"), ("16/06/2025", "in_future"), ("2024-02-30", "invalid_date"),
     ("31/04/2024", "invalid_date"), ("03/15/2024", "invalid_date"), ("2024/03/15", "invalid_date"),
     ("15-03-2024", "invalid_date"), ("yesterday", "invalid_date"), ("1899-12-31", "invalid_date"),
     (20240315, "invalid_date"), (None, "invalid_date")],
)
def test_refused_dates(text: object, code: str) -> None:
    with pytest.raises(FieldProblem) as refused:
        parse_past_date(text, today=TODAY)
    assert refused.value.code == code
