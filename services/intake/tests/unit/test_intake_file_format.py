"""How a partner's file is read: charset, separator, header names in French or English, rows to cases."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais_intake.adapters.file_rows import CHUNK_SIZE, ChunkFile, csv_rows
from relais_intake.domain.file_format import (
    ColumnMap,
    UnreadableRecord,
    check_file_row,
    detect_charset,
    http_charset,
    is_known_charset,
    normalise_header,
    sniff_separator,
)
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.validation import RejectedCase, ValidCase

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(("header", "field"), [
    ("Référence client", "external_ref"), ("REF CLIENT", "external_ref"), ("external_ref", "external_ref"),
    ("Nom", "last_name"), ("Prénom", "first_name"), ("Téléphone", "phone"), ("Tél.", "phone"),
    ("Code postal", "postcode"), ("CP", "postcode"), ("Montant dû", "amount_due"), ("Montant dû (€)", "amount_due"),
    ("Amount due", "amount_due"), ("Ville", "address.city"), ("Adresse", "address.line1"),
    ("Complément d'adresse", "address.line2"), ("Date impayé", "debt_since"), ("\ufeffNom", "last_name"),
])
def test_header_names_in_french_or_english(header: str, field: str) -> None:
    columns = ColumnMap.of([header, "ref", "nom", "montant"])
    assert columns.fields[0] == field


def test_unknown_and_repeated_columns_go_to_extra() -> None:
    columns = ColumnMap.of(["ref", "nom", "montant", "Agence", "nom"])
    assert columns.fields == ("external_ref", "last_name", "amount_due", None, None)
    case = columns.case_of(columns.raw_row(["R1", "Dupont", "10", "Lyon 3", "Durand", "surplus"]))
    assert case["extra"] == {"Agence": "Lyon 3", "nom (5)": "Durand", "column 6": "surplus"}


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(FieldProblem) as problem:
        ColumnMap.of(["ref", "prenom"])
    assert "last_name, amount_due" in problem.value.reason


def test_address_is_built_only_when_a_street_or_city_is_given() -> None:
    columns = ColumnMap.of(["ref", "nom", "montant", "adresse", "cp", "ville"])
    with_address = columns.case_of(columns.raw_row(["R", "N", "1", "1 rue A", "75011", "Paris"]))
    assert with_address["address"] == {"line1": "1 rue A", "postcode": "75011", "city": "Paris"}
    postcode_only = columns.case_of(columns.raw_row(["R", "N", "1", "", "75011", ""]))
    assert "address" not in postcode_only and postcode_only["postcode"] == "75011"


def test_rows_validate_like_json_cases_and_keep_the_partner_columns() -> None:
    columns = ColumnMap.of(["Référence client", "Nom", "Prénom", "Téléphone", "Code postal", "Montant dû"])
    ok = check_file_row(columns, 2, ["R1", "Dupont", "Léa", "06 12 34 56 78", "75011", "1 234,56 €"], today=TODAY)
    assert isinstance(ok, ValidCase) and ok.amount_due_cents == 123456 and ok.raw["Nom"] == "Dupont"
    bad = check_file_row(columns, 3, ["R2", "", "Léa", "06", "75011", "0"], today=TODAY)
    assert isinstance(bad, RejectedCase) and bad.raw["Montant dû"] == "0"
    assert {r.code for r in bad.reasons} == {"required", "invalid_phone", "zero"}
    unreadable = check_file_row(columns, 4, [UnreadableRecord("field larger than field limit")], today=TODAY)
    assert isinstance(unreadable, RejectedCase) and unreadable.reasons[0].code == "unreadable"


@pytest.mark.parametrize(("head", "declared", "charset"), [
    ("Nom;Prénom\n".encode(), None, "utf-8"), (b"\xef\xbb\xbfNom", None, "utf-8-sig"),
    ("Nom;Prénom;Montant dû €\n".encode("cp1252"), None, "cp1252"), (b"Nom;Pr\xe9nom", None, "cp1252"),
    (b"Nom;\x81", None, "latin-1"), (b"Nom", "latin-1", "iso8859-1"), (b"\xef\xbb\xbfNom", "utf-8", "utf-8-sig"),
    ("é".encode()[:1], None, "utf-8"),  # a character cut by the sample's end is still UTF-8
])
def test_charset_detection(head: bytes, declared: str | None, charset: str) -> None:
    assert detect_charset(head, declared) == charset


@given(st.text(max_size=40))
def test_a_known_charset_decodes_and_encodes_text(name: str) -> None:  # and no name raises
    if is_known_charset(name):
        assert "Prénom;Montant dû".encode(name, errors="replace").decode(name, errors="replace")


@pytest.mark.parametrize(("name", "known"), [
    ("windows-1252", True), ("latin-1", True), ("utf-8", True), ("UTF8", True), ("utf-16", True),
    ("utf-8\x00", False),  # codecs.lookup raises ValueError for it (was a 500)
    ("base64", False), ("rot13", False), ("zlib", False), ("klingon", False),  # codecs, but not of text
])
def test_known_charsets_are_text_encodings(name: str, known: bool) -> None:
    assert is_known_charset(name) is known


def test_http_charset_names() -> None:
    assert [http_charset(c) for c in ("cp1252", "latin-1", "utf-8-sig", "utf-8")] == [
        "windows-1252", "iso-8859-1", "utf-8", "utf-8"]


@pytest.mark.parametrize(("line", "separator"), [
    ("ref;nom;montant", ";"), ("ref,nom,montant", ","), ("ref\tnom\tmontant", "\t"), ('"a;b",c,d', ","),
    ("ref", ";"), ("ref|nom|montant", "|"),
])
def test_separator_sniffing(line: str, separator: str) -> None:
    assert sniff_separator(line) == separator


@given(st.text(max_size=60))
def test_header_normalisation_never_fails(header: str) -> None:
    assert normalise_header(header) == normalise_header(normalise_header(header))


def _chunked(data: bytes) -> ChunkFile:
    chunks = [data[i:i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
    return ChunkFile(lambda seq: chunks[seq], len(data))


def test_chunk_file_reads_and_seeks_across_chunks() -> None:
    data = bytes(range(256)) * (CHUNK_SIZE // 128 + 3)
    raw = _chunked(data)
    reader = io.BufferedReader(raw, 4096)
    assert reader.read() == data
    reader.seek(CHUNK_SIZE - 2)
    assert reader.read(4) == data[CHUNK_SIZE - 2:CHUNK_SIZE + 2]
    assert raw.seek(0, io.SEEK_END) == len(data)


def test_chunk_file_given_its_first_chunk_never_fetches_it_again() -> None:
    data = bytes(range(256)) * (CHUNK_SIZE // 128 + 3)
    chunks = [data[i:i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
    fetched: list[int] = []
    raw = ChunkFile(lambda seq: fetched.append(seq) or chunks[seq], len(data), first_chunk=chunks[0])
    assert io.BufferedReader(raw, 4096).read() == data
    assert fetched == [1, 2]


def test_csv_rows_span_chunks_with_quoted_newlines_and_line_numbers() -> None:
    body = "ref;nom\r\n" + "".join(f'R{i};"Nom\r\n{i}"\r\n' for i in range(60_000)) + "\r\n;\r\nZ;fin\r\n"
    rows = list(csv_rows(_chunked(body.encode()), charset="utf-8", separator=";"))
    assert len(body.encode()) > CHUNK_SIZE
    assert rows[0] == (1, ["ref", "nom"]) and rows[1] == (2, ["R0", "Nom\r\n0"]) and rows[2][0] == 4
    assert rows[-1] == (2 + 2 * 60_000 + 2, ["Z", "fin"])  # the blank line and the empty record are skipped
