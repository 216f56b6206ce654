"""The rejected lines of a submission as a CSV a partner opens in a spreadsheet, fixes and sends again."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Columns always present, in the order of the JSON case; any other field the partner sent follows, sorted.
STANDARD_COLUMNS = (
    "first_name", "last_name", "phone", "address.line1", "address.line2", "address.postcode", "address.city",
    "address.latitude", "address.longitude", "postcode", "amount_due", "debt_since",
)
# A cell starting with one of these is a formula to a spreadsheet: it is written as text instead.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class StoredRejection:
    """One rejected line as kept: its number, reference, fields as sent, and reasons."""

    line: int
    external_ref: str | None
    raw: Mapping[str, Any]
    reasons: Sequence[Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class RejectionsLayout:
    """The columns of a rejections CSV, decided from every rejected line's field names before any row is written
    (so that the file can be streamed): a JSON batch's standard fields, or a file's own header, then the others."""

    columns: tuple[str, ...]
    separator: str
    of_file: bool

    @classmethod
    def for_json(cls, keys: Iterable[str]) -> RejectionsLayout:
        """`;`-separated: line, external_ref, the (flattened) fields as sent, then reasons."""
        others = sorted(set(keys) - set(STANDARD_COLUMNS) - {"external_ref"})
        return cls(columns=(*STANDARD_COLUMNS, *others), separator=";", of_file=False)

    @classmethod
    def for_file(cls, keys: Iterable[str], *, header: Sequence[str], separator: str) -> RejectionsLayout:
        """The partner's own columns and separator, then `line` and `reasons`."""
        names = list(header)
        return cls(columns=(*names, *sorted(set(keys) - set(names))), separator=separator, of_file=True)

    def header(self) -> str:
        """The header line."""
        names = [*self.columns, "line", "reasons"] if self.of_file else ["line", "external_ref", *self.columns,
                                                                           "reasons"]
        return self._lines([names])

    def rows(self, rejections: Iterable[StoredRejection]) -> str:
        """The CSV lines of some rejected lines."""
        return self._lines(self._row(r) for r in rejections)

    def _row(self, rejection: StoredRejection) -> list[object]:
        reasons = _cell(" | ".join(f"{r['field']}: {r['reason']}" for r in rejection.reasons))
        if self.of_file:
            return [*(_cell(rejection.raw.get(n)) for n in self.columns), rejection.line, reasons]
        row = flatten(rejection.raw)
        return [rejection.line, _cell(rejection.external_ref), *(_cell(row.get(c)) for c in self.columns), reasons]

    def _lines(self, rows: Iterable[Sequence[object]]) -> str:
        out = io.StringIO()
        csv.writer(out, delimiter=self.separator, lineterminator="\r\n").writerows(rows)
        return out.getvalue()


def field_names(rejection: StoredRejection, *, of_file: bool) -> Iterable[str]:
    """The columns a rejected line needs: a file row's own names, a JSON case's flattened ones."""
    return rejection.raw.keys() if of_file else flatten(rejection.raw).keys()


def render_rejections_csv(rejections: Sequence[StoredRejection]) -> str:
    """A JSON batch's rejections as one `;`-separated CSV text."""
    layout = RejectionsLayout.for_json(k for r in rejections for k in flatten(r.raw))
    return layout.header() + layout.rows(rejections)


def flatten(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested fields as dotted names: {"address": {"city": "Lyon"}} -> {"address.city": "Lyon"}."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        return str(value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return f"'{text}" if text.startswith(_FORMULA_START) else text
