"""Receiving a partner's file: streamed into PostgreSQL chunk by chunk while it arrives, hashed on the way, and
answered at once with its submission; the same file (or the same Idempotency-Key) twice is one submission."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from relais_intake.adapters import submissions_repo, uploads_repo
from relais_intake.adapters.file_rows import CHUNK_SIZE
from relais_intake.domain.campaign import ensure_takes_cases
from relais_intake.domain.submission import Submission, SubmissionChannel
from relais_intake.service_layer.campaigns import visible_campaign
from relais_intake.service_layer.submissions import BUSINESS_ZONE
from relais_platform.auth import Principal
from relais_platform.errors import NotFound, Unprocessable


@dataclass(frozen=True, slots=True)
class UploadFile:
    """Command: store this file (its bytes arrive as an async stream) as a submission of the campaign."""

    campaign_id: uuid.UUID
    channel: SubmissionChannel
    body: AsyncIterator[bytes]
    filename: str | None = None
    declared_charset: str | None = None
    separator: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """The submission the file became, and whether it is an earlier one (same file or same key)."""

    submission: Submission
    replay: bool


class _SameAsEarlier(Exception):
    def __init__(self, submission_id: uuid.UUID) -> None:
        self.submission_id = submission_id


async def receive_file(*, pool: asyncpg.Pool, principal: Principal, command: UploadFile, now: datetime) -> Received:
    """Store the file in one transaction (a broken upload leaves nothing); the worker takes it from there."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            submission_id = await _store(conn=conn, principal=principal, command=command, now=now)
    except _SameAsEarlier as earlier:
        submission_id = earlier.submission_id
        replay = True
    else:
        replay = False
    async with pool.acquire() as conn:
        submission = await submissions_repo.get_submission(conn=conn, submission_id=submission_id)
    if submission is None:  # committed above (or found as the earlier one): it exists unless deleted meanwhile
        raise NotFound("submission not found", field="submission_id")
    return Received(submission=submission, replay=replay)


async def _store(*, conn: asyncpg.Connection, principal: Principal, command: UploadFile, now: datetime) -> uuid.UUID:
    campaign = await visible_campaign(conn=conn, principal=principal, campaign_id=command.campaign_id)
    ensure_takes_cases(campaign.status, ends_on=campaign.ends_on, today=now.astimezone(BUSINESS_ZONE).date())
    key = command.idempotency_key
    if key:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                           f"upload-key|{campaign.campaign_id}|{key}")
    submission_id = uuid.uuid4()
    file_format: dict[str, Any] = {"declared_charset": command.declared_charset, "separator": command.separator}
    await uploads_repo.insert_upload(conn=conn, submission_id=submission_id, campaign_id=campaign.campaign_id,
                                     partner_id=campaign.partner_id, channel=command.channel,
                                     filename=command.filename, file_format=file_format, idempotency_key=None,
                                     now=now)
    digest, size = await _store_chunks(conn=conn, submission_id=submission_id, body=command.body)
    if size == 0:
        raise Unprocessable("the file is empty", field="file")
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"upload-hash|{campaign.campaign_id}|{digest}")
    earlier = await uploads_repo.find_upload(conn=conn, campaign_id=campaign.campaign_id, content_hash=digest,
                                             idempotency_key=key)
    if earlier is not None:
        if key and earlier["content_hash"] != digest:
            raise Unprocessable("Idempotency-Key was already used with a different file", field="Idempotency-Key")
        raise _SameAsEarlier(earlier["submission_id"])  # rolls this copy back
    await conn.execute("UPDATE submissions SET idempotency_key = $2 WHERE submission_id = $1", submission_id, key)
    await uploads_repo.seal_upload(conn=conn, submission_id=submission_id, content_hash=digest, size=size)
    return submission_id


async def _store_chunks(*, conn: asyncpg.Connection, submission_id: uuid.UUID,
                        body: AsyncIterator[bytes]) -> tuple[str, int]:
    """Write the stream as chunks of exactly CHUNK_SIZE bytes (the last one shorter); returns (sha256, size)."""
    hasher, buffer, seq, size = hashlib.sha256(), bytearray(), 0, 0
    async for piece in body:
        hasher.update(piece)
        size += len(piece)
        buffer += piece
        while len(buffer) >= CHUNK_SIZE:
            await uploads_repo.append_chunk(conn=conn, submission_id=submission_id, seq=seq,
                                            data=bytes(buffer[:CHUNK_SIZE]))
            del buffer[:CHUNK_SIZE]
            seq += 1
    if buffer:
        await uploads_repo.append_chunk(conn=conn, submission_id=submission_id, seq=seq, data=bytes(buffer))
    return hasher.hexdigest(), size
