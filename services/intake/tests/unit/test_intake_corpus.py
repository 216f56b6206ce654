"""The corpus of tricky partner input (tests/corpus/intake_corpus.json): every kind of file and JSON case a
partner sends, each with the outcome and reasons it must get. Files go through the same reading path as an
upload (charset and separator detection, csv over a chunked stream, header mapping, row validation)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from relais_intake.adapters.file_rows import CHUNK_SIZE, ChunkFile, csv_rows
from relais_intake.domain.file_format import ColumnMap, check_file_row, csv_dialect
from relais_intake.domain.problems import FieldProblem
from relais_intake.domain.validation import RejectedCase, validate_case

CORPUS = json.loads((Path(__file__).parents[1] / "corpus" / "intake_corpus.json").read_text(encoding="utf-8"))
TODAY = date.fromisoformat(CORPUS["today"])


def _bytes(entry: dict[str, Any]) -> bytes:
    if "bytes_hex" in entry:
        return bytes.fromhex(entry["bytes_hex"])
    data = entry["text"].encode(entry["encoding"])
    return b"\xef\xbb\xbf" + data if entry["bom"] else data


def _read_file(data: bytes, declared_charset: str | None) -> tuple[str, str, list[Any] | str]:
    """(charset, separator, checked rows or the file error code), as the worker reads an upload."""
    charset, separator = csv_dialect(data[:65536], declared_charset=declared_charset)
    chunks = [data[i:i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
    rows = csv_rows(ChunkFile(lambda seq: chunks[seq], len(data)), charset=charset, separator=separator)
    header = next(rows, None)
    if header is None:
        return charset, separator, "no_header"
    try:
        columns = ColumnMap.of(header[1])
    except FieldProblem as problem:
        return charset, separator, problem.code
    return charset, separator, [check_file_row(columns, line, cells, today=TODAY) for line, cells in rows]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS["files"]) + len(CORPUS["json"]) >= 40
    assert len({e["name"] for e in CORPUS["files"] + CORPUS["json"]}) == len(CORPUS["files"]) + len(CORPUS["json"])


@pytest.mark.parametrize("entry", CORPUS["files"], ids=[e["name"] for e in CORPUS["files"]])
def test_file_corpus(entry: dict[str, Any]) -> None:
    charset, separator, checked = _read_file(_bytes(entry), entry.get("declared_charset"))
    if "expect_charset" in entry:
        assert charset == entry["expect_charset"]
    if "expect_separator" in entry:
        assert separator == entry["expect_separator"]
    if "file_error" in entry:
        assert checked == entry["file_error"]
        return
    assert isinstance(checked, list)
    got = [{"line": c.line, "outcome": "rejected" if isinstance(c, RejectedCase) else "accepted",
            **({"codes": sorted(r.code for r in c.reasons)} if isinstance(c, RejectedCase) else {})} for c in checked]
    expected = [{**row, **({"codes": sorted(row["codes"])} if "codes" in row else {})} for row in entry["rows"]]
    assert got == expected


@pytest.mark.parametrize("entry", CORPUS["json"], ids=[e["name"] for e in CORPUS["json"]])
def test_json_corpus(entry: dict[str, Any]) -> None:
    checked = validate_case(entry["case"], line=1, today=TODAY)
    outcome = "rejected" if isinstance(checked, RejectedCase) else "accepted"
    assert outcome == entry["outcome"]
    if isinstance(checked, RejectedCase):
        assert sorted(r.code for r in checked.reasons) == sorted(entry["codes"])
