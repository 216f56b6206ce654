"""The common clean row of a file, read in one pass: the same parsers as `validate_case`, called straight on the
cells (no intermediate case mapping, no gathering of findings). Anything unusual — a cell that is not text, a
blank required cell, a value a parser refuses (but an invalid phone next to a valid address, dropped with the same
warning) — gives None, and the row takes the full validation, which has every reason. A test checks that both agree
on every row this path accepts."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from relais_intake.domain.address import Address
from relais_intake.domain.dates import parse_past_date
from relais_intake.domain.money import parse_amount_cents
from relais_intake.domain.names import clean_name, clean_text
from relais_intake.domain.phones import parse_phone
from relais_intake.domain.postcodes import department_for_postcode, normalise_postcode, time_zone_for_department
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.validation import ValidCase, parse_external_ref, phone_dropped

if TYPE_CHECKING:
    from relais_intake.domain.file_format import ColumnMap

# A partner's file repeats a few values column after column: first and last names, towns, postcodes, the dates a
# debt started. Their parsers are pure, so the clean path keeps what they gave for the values seen last (a value
# they refuse is not kept: the refusal is raised again). Amounts, phones and street lines rarely repeat.
_SEEN = 4096
_name = functools.lru_cache(maxsize=_SEEN)(clean_name)
_town = functools.lru_cache(maxsize=_SEEN)(clean_text)
_date = functools.lru_cache(maxsize=_SEEN)(parse_past_date)
_postcode = functools.lru_cache(maxsize=_SEEN)(normalise_postcode)
_department = functools.lru_cache(maxsize=_SEEN)(department_for_postcode)

# Columns the clean path reads; any other known field (address line 2, coordinates) must be blank for it.
_READ = frozenset({"external_ref", "first_name", "last_name", "amount_due", "phone", "address.line1",
                   "address.city", "postcode", "debt_since"})


@dataclass(frozen=True, slots=True)
class RowPlan:
    """Where each field sits in a row of exactly `width` cells, and the raw-row names of those cells."""

    width: int
    names: tuple[str, ...]
    index: dict[str, int]
    blank: tuple[int, ...]
    extra: tuple[int, ...]


@functools.lru_cache(maxsize=16)
def plan_of(columns: ColumnMap) -> RowPlan | None:
    """The plan of a column map, or None when no row of it can be clean (a required column is missing)."""
    index = {f: i for i, f in enumerate(columns.fields) if f is not None}
    if not {"external_ref", "first_name", "last_name", "amount_due"} <= index.keys():
        return None
    names = tuple(columns.raw_row([""] * len(columns.header)))
    if any("\x00" in name for name in names):  # stored with a replacement character: the full path does that
        return None
    return RowPlan(width=len(columns.header), names=names, index={f: i for f, i in index.items() if f in _READ},
                   blank=tuple(i for f, i in index.items() if f not in _READ),
                   extra=tuple(i for i, f in enumerate(columns.fields) if f is None))


def clean_row(plan: RowPlan, line: int, cells: Sequence[object], *, today: date) -> ValidCase | None:
    """The valid case of a plain row of text cells, or None when the row needs the full validation."""
    if len(cells) != plan.width:
        return None
    try:
        joined = "".join(cells)  # type: ignore[arg-type]  # TypeError: a cell that is not text (a workbook)
    except TypeError:
        return None
    if "\ufffd" in joined or "\x00" in joined:  # undecodable bytes or NUL: the full path says so
        return None
    values: list[str | None] = [c if c.strip() else None for c in cells]  # type: ignore[union-attr]
    if any(values[i] is not None for i in plan.blank):
        return None
    try:
        return _valid_case(plan, line, values, today=today)
    except FieldProblem:
        return None


def _valid_case(plan: RowPlan, line: int, values: list[str | None], *, today: date) -> ValidCase | None:
    at = plan.index
    ref = parse_external_ref(values[at["external_ref"]])
    first = _name(values[at["first_name"]], what="the first name")
    last = _name(values[at["last_name"]], what="the last name")
    cents = parse_amount_cents(values[at["amount_due"]])
    since = _cell(values, at, "debt_since")
    debt_since = _date(since, today=today, what="debt_since") if since is not None else None
    phone_text, phone, dropped = _cell(values, at, "phone"), None, None
    if phone_text is not None:
        try:
            phone = parse_phone(phone_text)
        except FieldProblem as problem:
            # kept only next to a valid address, as the full validation does; as a FieldError, not the exception
            # (whose traceback holds this frame: a reference cycle per row left to the garbage collector)
            dropped = phone_dropped(problem.on("phone"))
    line1, city, postcode = (_cell(values, at, f) for f in ("address.line1", "address.city", "postcode"))
    address = None
    if dropped is not None and line1 is None and city is None:
        return None
    if line1 is not None or city is not None:
        code = _postcode(postcode)
        address = Address(line1=clean_text(line1, max_length=200, what="the address line 1"), postcode=code,
                          city=_town(city, max_length=100, what="the city"), department=_department(code))
        postcode, department = address.postcode, address.department
    elif postcode is not None and phone is not None:
        postcode = _postcode(postcode)
        department = _department(postcode)
    elif phone is not None and phone.department is not None:
        department = phone.department
    else:
        return None  # no way to reach the person, or no department: the full path explains it
    extra = {plan.names[i]: values[i] for i in plan.extra if values[i] is not None}
    return ValidCase(line=line, external_ref=ref, first_name=first, last_name=last, phone=phone, address=address,
                     postcode=postcode, department=department, time_zone=time_zone_for_department(department),
                     amount_due_cents=cents, debt_since=debt_since, extra=extra,
                     warnings=(dropped,) if dropped is not None else (),
                     raw=dict(zip(plan.names, values, strict=True)))


def _cell(values: list[str | None], at: dict[str, int], field: str) -> str | None:
    i = at.get(field)
    return values[i] if i is not None else None
