"""Remittances as they arrive: typed in, or lines of a bank statement CSV parsed once at the edge."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from relais_platform.errors import Unprocessable

_AMOUNT = re.compile(r"^(?P<units>\d{1,3}(?:[ .\u00a0\u202f]?\d{3})*|\d+)(?:[,.](?P<cents>\d{1,2}))?$")
REQUIRED_COLUMNS = ("date", "amount", "reference")
MAX_IMPORT_LINES = 10_000


@dataclass(frozen=True, slots=True)
class IncomingRemittance:
    """A payment to record: amount in cents, date received, the bank's reference, invoices it names."""

    amount_cents: int
    received_on: date
    bank_reference: str
    invoice_numbers: tuple[str, ...] = ()


def parse_amount_cents(text: str) -> int:
    """`1 234,56`, `1234.56`, `1.234,56 €`, `12` → cents, without floats; ValueError otherwise."""
    cleaned = text.strip().removesuffix("€").removesuffix("EUR").strip()
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    units = re.sub(r"\D", "", match["units"])
    cents = (match["cents"] or "0").ljust(2, "0")
    return int(units) * 100 + int(cents)


def parse_day(text: str) -> date:
    """`2026-04-30` or `30/04/2026`."""
    text = text.strip()
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
        return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    return date.fromisoformat(text)


def parse_bank_statement(text: str) -> list[IncomingRemittance]:
    """Credits of a bank statement CSV (`date,amount,reference[,invoices]`, `,` or `;` separated; invoices
    separated by spaces). 422 naming the line and column of the first bad cell; debits are refused."""
    if "\x00" in text:  # PostgreSQL text cannot hold U+0000
        raise Unprocessable("the CSV contains the NUL character", field="body")
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        found = _remittances(reader)
    except csv.Error as exc:  # e.g. a field longer than the csv module takes
        raise Unprocessable(f"not a readable CSV: {exc}", field="body") from exc
    if not found:
        raise Unprocessable("the CSV has no line", field="body")
    return found


def _remittances(reader: csv.DictReader[str]) -> list[IncomingRemittance]:
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise Unprocessable(f"the CSV needs the columns {', '.join(REQUIRED_COLUMNS)}", field=missing[0])
    found: list[IncomingRemittance] = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        found.append(_remittance(row, number))
        if len(found) > MAX_IMPORT_LINES:
            raise Unprocessable(f"at most {MAX_IMPORT_LINES} lines per import", field="body")
    return found


def _remittance(row: dict[str, str], line: int) -> IncomingRemittance:
    try:
        received_on = parse_day(row["date"])
    except ValueError as exc:
        raise Unprocessable(f"line {line}: bad date {row['date']!r}", field=f"line {line}.date") from exc
    try:
        amount = parse_amount_cents(row["amount"])
    except ValueError as exc:
        raise Unprocessable(f"line {line}: bad amount {row['amount']!r}", field=f"line {line}.amount") from exc
    if amount <= 0:
        raise Unprocessable(f"line {line}: only credits (amount > 0) are payments", field=f"line {line}.amount")
    if not row["reference"] or len(row["reference"]) > 200:
        raise Unprocessable(f"line {line}: a reference of 1 to 200 characters is needed",
                            field=f"line {line}.reference")
    invoices = tuple(row.get("invoices", "").replace(";", " ").split())
    return IncomingRemittance(amount, received_on, row["reference"], invoices)
