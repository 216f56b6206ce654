"""How a partner's file reads: its charset, its separator, and which of its columns are which case field."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from relais_intake.domain.clean_rows import clean_row, plan_of
from relais_intake.domain.problems import FieldError, FieldProblem
from relais_intake.domain.validation import RejectedCase, ValidCase, validate_case

UTF8_BOM = codecs.BOM_UTF8
SEPARATORS = (";", ",", "\t", "|")

# Normalised header (lower case, no accents, words separated by one space) -> case field. Documented in the
# service README; anything else is kept aside in the case's `extra`, under the header as the partner wrote it.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "external_ref": ("external ref", "reference client", "ref client", "reference", "ref", "numero client",
                     "n client", "no client", "num client", "id client", "identifiant client", "customer ref",
                     "customer reference", "customer id", "reference dossier", "n dossier", "account number"),
    "first_name": ("first name", "firstname", "prenom", "given name"),
    "last_name": ("last name", "lastname", "nom", "nom de famille", "surname", "family name", "nom usage"),
    "phone": ("phone", "telephone", "tel", "portable", "mobile", "phone number", "numero de telephone",
              "n telephone", "telephone mobile", "telephone fixe"),
    "address.line1": ("address", "adresse", "address line 1", "adresse 1", "adresse ligne 1", "line1", "rue",
                      "voie", "street"),
    "address.line2": ("address line 2", "adresse 2", "adresse ligne 2", "line2", "complement d adresse",
                      "complement adresse", "complement"),
    "postcode": ("postcode", "postal code", "post code", "zip", "zip code", "code postal", "cp"),
    "address.city": ("city", "town", "ville", "commune", "localite"),
    "address.latitude": ("latitude", "lat"),
    "address.longitude": ("longitude", "lon", "lng"),
    "amount_due": ("amount due", "amount", "montant du", "montant", "montant impaye", "solde", "solde du",
                   "reste a payer", "impaye", "balance"),
    "debt_since": ("debt since", "impaye depuis", "date impaye", "date de la dette", "date dette", "depuis",
                   "date echeance", "date d echeance", "due date"),
}
_FIELD_OF_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in (name, *aliases)}
REQUIRED_COLUMNS = ("external_ref", "last_name", "amount_due")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_header(header: str) -> str:
    """`Montant dû (€)` -> `montant du`: lower case, accents and punctuation dropped, single spaces."""
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", "")).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\(.*?\)", " ", text)
    return _NOT_WORD.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column holds which case field; columns with no known meaning go to `extra`."""

    header: tuple[str, ...]
    fields: tuple[str | None, ...]

    @classmethod
    def of(cls, header: Sequence[str]) -> ColumnMap:
        """Map each header cell; a field claimed twice keeps its first column, the other goes to `extra`."""
        cells = tuple(str(h).strip() if h is not None else "" for h in header)
        taken: set[str] = set()
        fields: list[str | None] = []
        for cell in cells:
            field = _FIELD_OF_HEADER.get(normalise_header(cell))
            if field in taken:
                field = None
            fields.append(field)
            if field:
                taken.add(field)
        missing = [f for f in REQUIRED_COLUMNS if f not in taken]
        if missing:
            known = "; ".join(f"{f}: {', '.join(HEADER_ALIASES[f][:4])}" for f in missing)
            raise FieldProblem("missing_columns", f"the header has no column for {', '.join(missing)} "
                                                  f"(accepted names include {known})")
        return cls(header=cells, fields=tuple(fields))

    def raw_row(self, cells: Sequence[object]) -> dict[str, str | None]:
        """The row as the partner sent it, by its own column names (extra cells as `column N`)."""
        names: list[str] = []
        for i in range(max(len(self.header), len(cells))):
            name = (self.header[i] if i < len(self.header) else "") or f"column {i + 1}"
            names.append(name if name not in names else f"{name} ({i + 1})")
        return {name: _text(cells[i]) if i < len(cells) else None for i, name in enumerate(names)}

    def case_of(self, raw: dict[str, str | None]) -> dict[str, object]:
        """The row as a case mapping for validation: known fields by name, an address when one is given."""
        case: dict[str, object] = {}
        extra: dict[str, object] = {}
        for i, (name, value) in enumerate(raw.items()):
            field = self.fields[i] if i < len(self.fields) else None
            if field is None:
                if value not in (None, ""):
                    extra[name] = value
            else:
                case[field] = value
        address = {k.split(".", 1)[1]: case.pop(k) for k in list(case) if k.startswith("address.")}
        if any(v not in (None, "") for k, v in address.items() if k in ("line1", "city")):
            case["address"] = {**{k: v for k, v in address.items() if v not in (None, "")},
                               "postcode": case.pop("postcode", None)}
        if extra:
            case["extra"] = extra
        return case


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)
    return text if text.strip() else None


def detect_charset(head: bytes, declared: str | None = None) -> str:
    """The declared charset, else UTF-8 (with or without BOM) when the head decodes as such, else Windows-1252
    (a superset of Latin-1's printable range: what French Excel and SAP exports use)."""
    if declared:
        name = codecs.lookup(declared).name
        return "utf-8-sig" if name == "utf-8" and head.startswith(UTF8_BOM) else name
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_separator(first_line: str) -> str:
    """The separator of a header line: the candidate appearing most often outside quotes (`;` on a tie)."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {sep: unquoted.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ";"


def csv_dialect(head: bytes, *, declared_charset: str | None = None,
                declared_separator: str | None = None) -> tuple[str, str]:
    """(charset, separator) of a CSV file from its first bytes, the declared ones winning."""
    charset = detect_charset(head, declared_charset)
    lines = head.decode(charset, errors="replace").lstrip("\ufeff").splitlines()
    return charset, declared_separator or sniff_separator(lines[0] if lines else "")


def http_charset(name: str) -> str:
    """The IANA name of a Python codec, for a Content-Type (`cp1252` -> `windows-1252`)."""
    codec = codecs.lookup(name).name
    return {"cp1252": "windows-1252", "iso8859-1": "iso-8859-1", "iso8859-15": "iso-8859-15",
            "utf-8-sig": "utf-8"}.get(codec, codec)


def is_known_charset(name: str) -> bool:
    """True when `name` is a text encoding Python knows (base64 or zlib are codecs too, of bytes to bytes)."""
    try:
        b"".decode(name)
        "".encode(name)
    except (LookupError, ValueError):  # ValueError: a name with a NUL character in it
        return False
    return True


def check_file_row(columns: ColumnMap, line: int, cells: Sequence[object], *, today: date) -> ValidCase | RejectedCase:
    """Validate one row of a file exactly like a JSON case; the row keeps the partner's own column names."""
    plan = plan_of(columns)
    if plan is not None and (clean := clean_row(plan, line, cells, today=today)) is not None:
        return clean
    return check_file_row_fully(columns, line, cells, today=today)


def check_file_row_fully(columns: ColumnMap, line: int, cells: Sequence[object], *,
                         today: date) -> ValidCase | RejectedCase:
    """The full validation of a row (every reason gathered): what the clean path must agree with."""
    raw = columns.raw_row(cells)
    if len(cells) == 1 and isinstance(cells[0], UnreadableRecord):
        return RejectedCase(line, None, (FieldError("row", "unreadable", str(cells[0])),), raw)
    garbled = [name for name, value in raw.items() if value and "\ufffd" in value]
    checked = validate_case(columns.case_of(raw), line=line, today=today)
    if garbled:
        reasons = tuple(FieldError(name, "invalid_encoding", "bytes that are not text in the file's charset; "
                                   "declare the charset (charset=...) or save the file as UTF-8") for name in garbled)
        return RejectedCase(line, checked.external_ref, reasons, raw)
    return replace(checked, raw=raw)


class UnreadableRecord(str):
    """Stands for a record the CSV reader could not read; its text is the reason."""
