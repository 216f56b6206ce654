"""Reading an uploaded file row by row, straight from its chunks in PostgreSQL: a seekable binary file over the
chunks (openpyxl needs to seek in the zip), csv over a decoding stream, openpyxl in read-only mode. Memory holds
a chunk or two and one batch of rows, whatever the size of the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from openpyxl import load_workbook

from relais_intake.domain.file_format import UnreadableRecord

CHUNK_SIZE = 1 << 20  # every chunk but the last holds exactly this many bytes, so an offset finds its chunk
csv.field_size_limit(1 << 20)  # one cell may be long (free-text notes), not unbounded

Row = tuple[int, list[Any]]  # (line number in the file, cells)


class ChunkFile(io.RawIOBase):
    """A read-only, seekable file over numbered chunks of CHUNK_SIZE bytes; `fetch(seq)` returns one chunk.
    `first_chunk`, when the caller already has chunk 0 (to sniff the charset), is not fetched again."""

    def __init__(self, fetch: Callable[[int], bytes], size: int, *, first_chunk: bytes | None = None) -> None:
        self._fetch = fetch
        self._size = size
        self._pos = 0
        self._cached: tuple[int, bytes] | None = (0, first_chunk) if first_chunk is not None else None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        seq, start = divmod(self._pos, CHUNK_SIZE)
        if self._cached is None or self._cached[0] != seq:
            self._cached = (seq, self._fetch(seq))
        data = self._cached[1][start:start + len(buffer)]
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def csv_rows(raw: ChunkFile, *, charset: str, separator: str) -> Iterator[Row]:
    """Records of a CSV file with the line each starts on; quoted separators and newlines, CRLF and a BOM
    are handled by csv; bytes invalid in `charset` become U+FFFD (the row is then refused, not guessed)."""
    text = io.TextIOWrapper(io.BufferedReader(raw, CHUNK_SIZE), encoding=charset, errors="replace", newline="")
    reader = csv.reader(text, delimiter=separator)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a cell over the size limit: report the line, go on with the next one
            yield start, [UnreadableRecord(f"the CSV reader could not read this record: {exc}")]
            start = reader.line_num + 1
            continue
        if any(map(str.strip, cells)):  # a blank record is no row (map: every row of every lane goes through here)
            yield start, cells
        start = reader.line_num + 1


def xlsx_rows(raw: ChunkFile) -> Iterator[Row]:
    """Rows of the first sheet of a workbook (values, not formulas), numbered as the spreadsheet shows them."""
    workbook = load_workbook(io.BufferedReader(raw, CHUNK_SIZE), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(cells)
            if any(v is not None and str(v).strip() for v in values):
                yield line, values
    finally:
        workbook.close()

