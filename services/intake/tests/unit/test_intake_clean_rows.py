"""The one-pass reading of clean file rows agrees with the full validation on every row it accepts (a phone
dropped next to a valid address included), and leaves every row with a problem to the full validation, which
explains it."""

from __future__ import annotations

import gc
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from relais_intake.domain.clean_rows import clean_row, plan_of
from relais_intake.domain.file_format import ColumnMap, check_file_row, check_file_row_fully
from relais_intake.domain.money import _checked_cents, _decimal_of_text, parse_amount_cents
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.validation import RejectedCase, ValidCase

TODAY = date(2025, 6, 15)
HEADERS = [
    ["Référence client", "Nom", "Prénom", "Téléphone", "Adresse", "Code postal", "Ville", "Montant dû",
     "Date impayé", "Agence"],
    ["external_ref", "last_name", "first_name", "phone", "postcode", "amount_due"],
    ["ref", "nom", "prenom", "tel", "adresse", "adresse 2", "cp", "ville", "montant", "lat", "agence", "Agence"],
    ["ref", "nom", "montant", "tel", "cp"],  # no first name: no row is clean
]
CELLS = {
    "external_ref": ["P00000001", " R-2/x ", "", "a b", "x" * 65, "Ré1"],
    "last_name": ["Dupont-Moreau", "N'Diaye", " de  La Fontaine ", "", "A\x01", "x" * 101, "Nguye\u0302\u0303n"],
    "first_name": ["Léa", "Jean-Pierre", "Thị", "  ", "Zoe\u0308"],
    "phone": ["06 12 34 56 78", "+33 6 12 34 56 78", "06 92 12 34 56", "01 42 68 53 00", "06 12", "", "0590 12 34 56",
              "+262 269 61 23 45", "abc"],
    "address.line1": ["12 rue des Lilas", "", "  ", "1 place de l'Église"],
    "address.line2": ["", "Bât. B"],
    "postcode": ["69003", "20000", "20200", "97400", "00000", "1234", " 75011 ", "", "97100"],
    "address.city": ["Lyon", "", "Saint-Denis"],
    "amount_due": ["18,50", "1 234,56 €", "1\u202f234,00\u202f€", "-12,50", "0", "12,5", "1.234", "12.345", "1,234.56",
                   "", "€ 12", "999999999,99", "0,001"],
    "debt_since": ["22/12/2024", "2024-01-31", "31/02/2024", "2099-01-01", "", "1/2/2025"],
    "address.latitude": ["", "45.7", "x"],
    None: ["Agence 5", "", "x\x00y", "\ufffd"],
}


def _cell(draw: st.DrawFn, values: list[str]) -> str:
    """Mostly a usual value (the first ones of each list), so that clean rows are frequent; any value otherwise."""
    pick = draw(st.integers(0, 7))
    return values[0] if pick < 5 else draw(st.sampled_from(values[:3] if pick < 7 else values))


@st.composite
def rows(draw: st.DrawFn) -> tuple[ColumnMap, list[str]]:
    columns = ColumnMap.of(draw(st.sampled_from(HEADERS)))
    cells = [_cell(draw, CELLS.get(field, CELLS[None])) for field in columns.fields]
    width = draw(st.sampled_from([len(cells), len(cells), len(cells), len(cells) - 1, len(cells) + 1]))
    return columns, [*cells, "surplus"][:width]


@settings(max_examples=3000)
@given(rows())
def test_a_clean_row_reads_as_the_full_validation_reads_it(row: tuple[ColumnMap, list[str]]) -> None:
    columns, cells = row
    full = check_file_row_fully(columns, 7, cells, today=TODAY)
    plan = plan_of(columns)
    clean = clean_row(plan, 7, cells, today=TODAY) if plan is not None else None
    if clean is not None:
        assert isinstance(full, ValidCase)
        assert clean == full and clean.warnings == full.warnings and clean.raw == full.raw and clean.extra == full.extra
    assert check_file_row(columns, 7, cells, today=TODAY) == full


def test_bench_like_rows_take_the_clean_path() -> None:
    columns = ColumnMap.of(HEADERS[0])
    plan = plan_of(columns)
    assert plan is not None
    cells = ["P00000005", "Martin", "Thị", "06 13 59 65 87", "59 boulevard Victor Hugo", "59000", "Lille",
             "1 018,50 €", "22/12/2024", "Agence 5"]
    clean = clean_row(plan, 2, cells, today=TODAY)
    assert clean is not None and clean.amount_due_cents == 101850 and clean.extra == {"Agence": "Agence 5"}
    assert clean_row(plan, 3, [*cells[:7], "-12,50", *cells[8:]], today=TODAY) is None
    dropped = clean_row(plan, 4, [*cells[:3], "06 12", *cells[4:]], today=TODAY)
    assert dropped is not None and dropped.phone is None and [w.code for w in dropped.warnings] == ["invalid_phone"]
    assert dropped == check_file_row_fully(columns, 4, [*cells[:3], "06 12", *cells[4:]], today=TODAY)
    assert isinstance(check_file_row(columns, 3, [*cells[:7], "-12,50", *cells[8:]], today=TODAY), RejectedCase)


def _full_amount(text: str) -> int | None:
    try:
        return _checked_cents(_decimal_of_text(text))
    except FieldProblem:
        return None


@settings(max_examples=3000)
@given(st.text(" 0123456789,.€\u00a0\u202f\u2009-", max_size=14))
def test_plain_amounts_read_as_the_full_reading(text: str) -> None:
    try:
        fast = parse_amount_cents(text)
    except FieldProblem:
        fast = None
    assert fast == (_full_amount(text) if text.strip() else None)


def test_reading_rows_leaves_no_reference_cycles_to_the_collector() -> None:
    """Workers collect rarely (runtime.WORKER_GC_THRESHOLDS): a cycle per row would pile up between collections
    (a kept exception's traceback holding its frame took the intake worker from 169 to 513 MiB)."""
    columns = ColumnMap.of(HEADERS[0])
    good = ["P00000005", "Martin", "Thị", "06 13 59 65 87", "59 boulevard Victor Hugo", "59000", "Lille",
            "1 018,50 €", "22/12/2024", "Agence 5"]
    rows = [good, [*good[:3], "06 12", *good[4:]], [*good[:7], "-12,50", *good[8:]], [*good[:3], "06 12", "", "", "",
                                                                                     *good[7:]]]
    gc.collect()
    gc.disable()
    try:
        for line in range(100):
            for cells in rows:
                check_file_row(columns, line, cells, today=TODAY)
        assert gc.collect() == 0
    finally:
        gc.enable()
