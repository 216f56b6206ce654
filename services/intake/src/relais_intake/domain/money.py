"""Amounts as partners write them ("1 234,56 €", "1,234.56", 1234.5) parsed once, exactly, into int cents."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from relais_intake.domain.problems import FieldProblem

# 100 million euros: far above any household or small-business arrear, low enough to catch a pasted IBAN.
MAX_AMOUNT_CENTS = 10_000_000_000

# Thousands separators seen in French files: space, no-break space, narrow no-break space, thin space.
_SPACES = " \u00a0\u202f\u2009"
_CURRENCY = re.compile(r"^(?:€|eur)\s*|\s*(?:€|eur)$", re.IGNORECASE)
_SIGN = re.compile(r"^([-+\u2212])\s*")
_BODY = re.compile(r"^[0-9][0-9.,]*$")
_DIGITS = re.compile(r"^[0-9]+$")
# The usual forms ("123,50", "1 234,56 €", "1234.56", "12"): digits grouped by one kind of space or not at all,
# at most 2 decimals, an optional euro sign. Read without Decimal; anything else takes the full reading.
_PLAIN = re.compile(r"([0-9]{1,3}(?:( |\u00a0|\u202f|\u2009)[0-9]{3})(?:\2[0-9]{3})*|[0-9]+)(?:[.,]([0-9]{1,2}))?"
                    r"(?:[ \u00a0\u202f\u2009]?€)?")


def parse_amount_cents(value: object) -> int:
    """Euros (int, float or text in French or English style) to a positive int of cents; FieldProblem if not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldProblem("required", "an amount due is required")
    if isinstance(value, bool):
        raise FieldProblem("invalid_amount", "the amount must be a number of euros, not true/false")
    if isinstance(value, int):
        return _checked_cents(Decimal(value))
    if isinstance(value, float):
        return _checked_cents(_decimal_of_float(value))
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value.strip())
        if plain is not None and 0 < (cents := _plain_cents(plain)) <= MAX_AMOUNT_CENTS:
            return cents
        return _checked_cents(_decimal_of_text(value))
    raise FieldProblem("invalid_amount", "the amount must be a number of euros or text such as 1 234,56")


def _plain_cents(plain: re.Match[str]) -> int:
    integer, separator, fraction = plain.groups()
    euros = int(integer.replace(separator, "") if separator else integer)
    return euros * 100 + (int(fraction) * (10 if len(fraction) == 1 else 1) if fraction else 0)


def _decimal_of_float(value: float) -> Decimal:
    # str() gives the shortest text that reads back as the same float: 12.3 stays "12.3", never 12.2999...
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise FieldProblem("invalid_amount", "the amount must be a finite number of euros")
    return amount


def _decimal_of_text(text: str) -> Decimal:
    body = _CURRENCY.sub("", text.strip()).strip()
    negative = False
    sign = _SIGN.match(body)
    if sign:
        negative = sign.group(1) != "+"
        body = _CURRENCY.sub("", body[sign.end():]).strip()
    for space in _SPACES:
        body = body.replace(space, " ")
    integer, fraction = _split_decimal(body)
    try:
        amount = Decimal(f"{integer}.{fraction or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the grammar above only lets digits through
        raise _garbage(text) from exc
    return -amount if negative else amount


def _split_decimal(body: str) -> tuple[str, str]:
    """Integer digits and fraction digits, deciding which of ',' and '.' is the decimal mark."""
    if not _BODY.match(body.replace(" ", "")) or "  " in body:
        raise _garbage(body)
    marks = [c for c in body if c in ".,"]
    decimal_mark = None
    if marks and (len(set(marks)) == 2 or len(marks) == 1):
        decimal_mark = marks[-1]  # "1.234,56" / "1,234.56": the last mark is the decimal one
    integer, _, fraction = body.rpartition(decimal_mark) if decimal_mark else (body, "", "")
    if decimal_mark and not _DIGITS.match(fraction):
        raise _garbage(body)
    if len(fraction) > 2:
        raise FieldProblem("too_many_decimals", f"the amount {body!r} has more than 2 decimals (cents)")
    return _grouped_digits(integer, body), fraction


def _grouped_digits(integer: str, body: str) -> str:
    """Digits of the integer part once its thousands separators (one kind only, groups of 3) are checked."""
    separators = {c for c in integer if not c.isdigit()}
    if not separators:
        return integer
    if len(separators) > 1:
        raise _garbage(body)
    groups = integer.split(separators.pop())
    if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
        raise _garbage(body)
    return "".join(groups)


def _checked_cents(amount: Decimal) -> int:
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):  # type: ignore[operator]
        raise FieldProblem("too_many_decimals", "the amount has more than 2 decimals (cents)")
    if amount < 0:
        raise FieldProblem("negative", "the amount due must be positive, not negative")
    if amount == 0:
        raise FieldProblem("zero", "the amount due must be more than zero")
    cents = int(amount * 100)
    if cents > MAX_AMOUNT_CENTS:
        raise FieldProblem("too_large", "the amount due is above 100,000,000 euros; check the column")
    return cents


def _garbage(text: str) -> FieldProblem:
    return FieldProblem("invalid_amount", f"{text[:40]!r} is not an amount in euros (e.g. 1234.56 or 1 234,56 €)")
