"""The rejected lines of a submission as a CSV a partner opens in a spreadsheet, fixes and sends again."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
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


def render_rejections_csv(rejections: Sequence[StoredRejection]) -> str:
    """`;`-separated CSV: line, external_ref, the fields as sent, and "field: reason | field: reason"."""
    flat = [flatten(r.raw) for r in rejections]
    others = sorted({k for row in flat for k in row} - set(STANDARD_COLUMNS) - {"external_ref"})
    columns = [*STANDARD_COLUMNS, *others]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["line", "external_ref", *columns, "reasons"])
    for rejection, row in zip(rejections, flat, strict=True):
        reasons = " | ".join(f"{r['field']}: {r['reason']}" for r in rejection.reasons)
        writer.writerow([rejection.line, _cell(rejection.external_ref), *(_cell(row.get(c)) for c in columns),
                         _cell(reasons)])
    return out.getvalue()


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


def render_file_rejections_csv(rejections: Sequence[StoredRejection], *, header: Sequence[str],
                               separator: str) -> str:
    """The refused rows of a file with the partner's own columns and separator, then `line` and `reasons`,
    so that the partner can fix them and send them again."""
    names = list(header)
    names += sorted({k for r in rejections for k in r.raw} - set(names))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([*names, "line", "reasons"])
    for rejection in rejections:
        reasons = " | ".join(f"{r['field']}: {r['reason']}" for r in rejection.reasons)
        writer.writerow([*(_cell(rejection.raw.get(n)) for n in names), rejection.line, _cell(reasons)])
    return out.getvalue()
