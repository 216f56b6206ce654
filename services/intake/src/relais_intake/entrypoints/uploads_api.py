"""HTTP routes for files: `POST /v1/campaigns/{campaign_id}/cases/upload` (CSV or XLSX, streamed)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from relais_intake.domain.file_format import is_known_charset
from relais_intake.domain.submission import SubmissionChannel
from relais_intake.entrypoints.schemas import SubmissionOut
from relais_intake.entrypoints.upload_body import FilePart, boundary_of, multipart_file
from relais_intake.service_layer.uploads import UploadFile, receive_file
from relais_platform.auth import Role
from relais_platform.errors import Unprocessable
from relais_platform.http import CurrentPrincipal, IdempotencyKey, Pool, allow

router = APIRouter(tags=["intake"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SEPARATORS = {"semicolon": ";", ";": ";", "comma": ",", ",": ",", "tab": "\t", "pipe": "|", "|": "|"}
_FILE_BODY = {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                 "format": "binary"}}}},
}}


@router.post("/campaigns/{campaign_id}/cases/upload", status_code=202, response_model=SubmissionOut,
             openapi_extra={"requestBody": _FILE_BODY}, responses={200: {"model": SubmissionOut}})
async def upload_cases(
    campaign_id: uuid.UUID, request: Request, principal: CurrentPrincipal, pool: Pool,
    key: IdempotencyKey = None,
    file_format: Annotated[Literal["csv", "xlsx"] | None, Query(
        alias="format", description="csv or xlsx; by default from the Content-Type, file name or content")] = None,
    charset: Annotated[str | None, Query(max_length=40, description="e.g. utf-8, windows-1252, latin-1; "
                                         "by default detected (UTF-8 with or without BOM, else Windows-1252)")] = None,
    separator: Annotated[Literal["semicolon", "comma", "tab", "pipe", ";", ",", "|"] | None, Query(
        description="CSV separator; by default guessed from the header line")] = None,
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """Upload a CSV or XLSX file of cases, any size: stored as it streams in, answered at once (202) with the
    submission to follow at GET /v1/submissions/{id}; the same file or Idempotency-Key again returns the first."""
    allow(principal, Role.PARTNER, Role.ADMIN)
    if charset is not None and not is_known_charset(charset):
        raise Unprocessable(f"unknown charset {charset!r}", field="charset")
    part = FilePart()
    content_type = request.headers.get("content-type", "")
    boundary = boundary_of(content_type)
    stream = multipart_file(request.stream(), boundary, part) if boundary else request.stream()
    first = await _first_bytes(stream)
    name = filename or part.filename
    command = UploadFile(campaign_id=campaign_id, channel=_channel(file_format, content_type, name, first),
                         body=_chain(first, stream), filename=name, declared_charset=charset,
                         separator=_SEPARATORS[separator] if separator else None, idempotency_key=key)
    received = await receive_file(pool=pool, principal=principal, command=command, now=datetime.now(UTC))
    body = SubmissionOut.of(received.submission).model_dump(mode="json")
    headers = {"Location": f"/v1/submissions/{received.submission.submission_id}"}
    if received.replay:
        headers["Idempotent-Replay"] = "true"
    return JSONResponse(body, status_code=200 if received.replay else 202, headers=headers)


async def _first_bytes(stream: AsyncIterator[bytes]) -> bytes:
    async for piece in stream:
        if piece:
            return piece
    return b""


async def _chain(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for piece in rest:
        yield piece


def _channel(declared: str | None, content_type: str, filename: str | None, first: bytes) -> SubmissionChannel:
    """csv or xlsx: as declared, else from the Content-Type, the file name, then the content (a zip is a workbook)."""
    if declared:
        return SubmissionChannel(declared)
    if XLSX_TYPE in content_type or (filename or "").lower().endswith(".xlsx"):
        return SubmissionChannel.XLSX
    if "csv" in content_type or (filename or "").lower().endswith((".csv", ".txt")):
        return SubmissionChannel.CSV
    return SubmissionChannel.XLSX if first.startswith(b"PK\x03\x04") else SubmissionChannel.CSV
