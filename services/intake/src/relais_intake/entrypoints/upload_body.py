"""The bytes of an uploaded file as they arrive: the raw request body, or the file part of a multipart form,
parsed incrementally (python-multipart's push parser) so nothing is spooled to disk or held whole in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from relais_platform.errors import Unprocessable


@dataclass
class FilePart:
    """State of the push parser: which part we are in and the file bytes not yet handed on."""

    pending: list[bytes] = field(default_factory=list)
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    in_file: bool = False
    seen_file: bool = False
    filename: str | None = None


def boundary_of(content_type: str) -> bytes | None:
    """The multipart boundary of a Content-Type, or None when the body is not multipart/form-data."""
    kind, options = parse_options_header(content_type)
    return options.get(b"boundary") if kind == b"multipart/form-data" else None


async def multipart_file(stream: AsyncIterator[bytes], boundary: bytes, part: FilePart | None = None,
                         ) -> AsyncIterator[bytes]:
    """The content of the form's first file part (a part with a filename, or named `file`)."""
    state = part or FilePart()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        if state.header_name.lower() == b"content-disposition":
            state.disposition = state.header_value
        state.header_name, state.header_value = b"", b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state.disposition)
        is_file = b"filename" in options or options.get(b"name") == b"file"
        state.in_file = is_file and not state.seen_file
        if state.in_file:
            state.seen_file = True
            state.filename = options.get(b"filename", b"").decode("utf-8", "replace") or None
        state.disposition = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.in_file:
            state.pending.append(data[start:end])

    def on_part_end() -> None:
        state.in_file = False

    parser = MultipartParser(boundary, {
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    try:
        async for piece in stream:
            parser.write(piece)
            if state.pending:
                yield b"".join(state.pending)
                state.pending.clear()
        parser.finalize()
    except MultipartParseError as exc:
        raise Unprocessable(f"the multipart/form-data body is malformed: {exc}", field="file") from exc
    if not state.seen_file:
        raise Unprocessable("the form has no file part (send it as `file`)", field="file")
