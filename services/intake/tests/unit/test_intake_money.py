"""Amounts as partners write them -> exact int cents, or a reason code."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.domain.money import MAX_AMOUNT_CENTS, parse_amount_cents
from relais_intake.domain.problems import FieldProblem


@pytest.mark.parametrize(
    ("given_value", "cents"),
    [
        ("1234.56", 123456), ("1234,56", 123456), ("1 234,56", 123456), ("1 234,56 €", 123456),
        ("1\u202f234,56", 123456), ("1\u00a0234,56\u00a0€", 123456), ("1\u2009234,56", 123456),
        ("1234", 123400), ("12,5", 1250), ("12.5", 1250), ("0,01", 1), ("0.5", 50), ("1,234.56", 123456),
        ("1.234,56", 123456), ("1.234.567,89", 123456789), ("1,234,567", 123456700), ("1 234 567", 123456700),
        ("€1,234.56", 123456), ("€ 12", 1200), ("12 EUR", 1200), ("12eur", 1200), ("  7,00  ", 700),
        ("+12", 1200), ("012,50", 1250), ("12.50", 1250), ("100000000", MAX_AMOUNT_CENTS),
        (1234, 123400), (1, 100), (12.5, 1250), (1234.56, 123456), (0.1, 10), (19.99, 1999), (1e3, 100000),
    ],
)
def test_accepted_amounts_become_exact_cents(given_value: object, cents: int) -> None:
    assert parse_amount_cents(given_value) == cents


@pytest.mark.parametrize(
    ("given_value", "code"),
    [
        ("-12", "negative"), ("-1 234,56 €", "negative"), ("\u221212", "negative"), ("- 5", "negative"),
        ("€-3", "negative"), (-1, "negative"), (-0.5, "negative"),
        ("0", "zero"), ("0,00", "zero"), (0, "zero"), (0.0, "zero"), ("-0", "zero"),
        ("12.345", "too_many_decimals"), ("1,234", "too_many_decimals"), ("0,001", "too_many_decimals"),
        (12.345, "too_many_decimals"), (0.1 + 0.2, "too_many_decimals"), (1e-5, "too_many_decimals"),
        ("abc", "invalid_amount"), ("12 34", "invalid_amount"), ("1 234.567,89", "invalid_amount"),
        ("12.", "invalid_amount"), (",5", "invalid_amount"), ("1e3", "invalid_amount"), ("12 €€", "invalid_amount"),
        ("١٢", "invalid_amount"), ("1  234", "invalid_amount"), ("12,34,5", "invalid_amount"),
        ("1,23,456", "invalid_amount"), ("0x10", "invalid_amount"), ("€", "invalid_amount"), ("NaN", "invalid_amount"),
        (math.nan, "invalid_amount"), (math.inf, "invalid_amount"), (True, "invalid_amount"),
        ([12], "invalid_amount"), ({"euros": 1}, "invalid_amount"), (Decimal("1"), "invalid_amount"),
        (None, "required"), ("", "required"), ("   ", "required"),
        ("100000000,01", "too_large"), (10**12, "too_large"), (1e300, "too_large"),
    ],
)
def test_refused_amounts_name_their_reason(given_value: object, code: str) -> None:
    with pytest.raises(FieldProblem) as refused:
        parse_amount_cents(given_value)
    assert refused.value.code == code
    assert refused.value.reason


def _french(cents: int, space: str, currency: bool) -> str:
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", space)
    return f"{grouped},{rest:02d}" + (f"{space}€" if currency else "")


def _english(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}.{rest:02d}"


def _german(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"


valid_cents = st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS)


@given(valid_cents, st.sampled_from([" ", "\u00a0", "\u202f"]), st.booleans())
def test_french_formatted_amounts_round_trip(cents: int, space: str, currency: bool) -> None:
    assert parse_amount_cents(_french(cents, space, currency)) == cents


@given(valid_cents)
def test_english_german_and_plain_amounts_round_trip(cents: int) -> None:
    plain = f"{cents // 100}.{cents % 100:02d}"
    for text in (_english(cents), _german(cents), plain, plain.replace(".", ","), f"€{_english(cents)}"):
        assert parse_amount_cents(text) == cents, text


@given(valid_cents)
def test_float_euros_round_trip_without_float_error(cents: int) -> None:
    assert parse_amount_cents(cents / 100) == cents


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS // 100))
def test_whole_euros_as_int_or_text(euros: int) -> None:
    assert parse_amount_cents(euros) == euros * 100
    assert parse_amount_cents(str(euros)) == euros * 100


@given(st.text(max_size=40))
def test_any_text_is_cents_or_a_field_problem(text: str) -> None:
    try:
        cents = parse_amount_cents(text)
    except FieldProblem as problem:
        assert problem.code in {"required", "invalid_amount", "negative", "zero", "too_many_decimals", "too_large"}
    else:
        assert 0 < cents <= MAX_AMOUNT_CENTS


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_is_cents_or_a_field_problem(value: float) -> None:
    try:
        cents = parse_amount_cents(value)
    except FieldProblem:
        return
    assert Decimal(cents) / 100 == Decimal(str(value))
