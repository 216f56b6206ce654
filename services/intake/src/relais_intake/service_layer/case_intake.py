"""Taking one chunk of checked cases into a campaign, whatever the channel (JSON, file, Kafka): open the new
valid ones, report duplicates (in the batch, in the campaign, open in another active campaign of the partner),
keep the rejected lines and publish them as dead letters, all in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_intake.adapters import campaigns_repo, cases_repo, oppositions_repo, submissions_repo
from relais_intake.adapters.case_ids import case_id_text
from relais_intake.domain.batch import CaseResult, Outcome, batch_results, cases_to_open
from relais_intake.domain.campaign import Campaign
from relais_intake.domain.opposition import refuse_opposed
from relais_intake.domain.validation import RejectedCase, ValidCase
from relais_intake.service_layer.opened_events import opened_events
from relais_intake.service_layer.rejected_events import case_rejected, encoded
from relais_platform import outbox
from relais_platform.db import as_new
from relais_platform.outbox import EncodedEvent


@dataclass(frozen=True, slots=True)
class ChunkTaken:
    """The per-line results of a chunk and its counts."""

    results: list[CaseResult]
    accepted: int
    rejected: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """A checked chunk made ready to write before its transaction (no I/O: a file's next chunk is prepared in the
    reading thread while the current one is written): the case ids, the cases-table records and the CaseOpened
    bytes of every case it may open — those that are not opened after all are simply not written."""

    checked: Sequence[ValidCase | RejectedCase]
    candidates: list[ValidCase]
    case_ids: dict[str, str]
    records: dict[str, tuple[object, ...]]
    events: dict[str, EncodedEvent]
    now: datetime


def prepare_chunk(checked: Sequence[ValidCase | RejectedCase], *, campaign: Campaign, now: datetime) -> PreparedChunk:
    """The chunk's candidates (each external_ref's first valid line) with their ids, records and events."""
    candidates = cases_to_open(checked)
    partner, campaign_text = campaign.partner_id, str(campaign.campaign_id)
    case_ids = {c.external_ref: case_id_text(partner_id=partner, campaign_id=campaign_text, external_ref=c.external_ref)
                for c in candidates}
    records = {c.external_ref: cases_repo.case_record(c, case_ids[c.external_ref]) for c in candidates}
    events = opened_events(candidates, campaign=campaign, case_ids=case_ids, opened_at=now)
    return PreparedChunk(checked=checked, candidates=candidates, case_ids=case_ids, records=records,
                         events={c.external_ref: e for c, e in zip(candidates, events, strict=True)}, now=now)


async def take_cases(*, conn: asyncpg.Connection, campaign: Campaign, submission_id: uuid.UUID, channel: str,
                     checked: Sequence[ValidCase | RejectedCase], now: datetime) -> ChunkTaken:
    """Open, report and dead-letter one chunk; every write is idempotent (deterministic ids, ON CONFLICT)."""
    return await take_prepared(conn=conn, campaign=campaign, submission_id=submission_id, channel=channel,
                               chunk=prepare_chunk(checked, campaign=campaign, now=now))


async def take_prepared(*, conn: asyncpg.Connection, campaign: Campaign, submission_id: uuid.UUID, channel: str,
                        chunk: PreparedChunk, accepted_results: bool = True,
                        before_insert: Callable[[], Awaitable[None]] | None = None) -> ChunkTaken:
    """`take_cases` for a prepared chunk (opened at the time it was prepared). Without `accepted_results`, the
    results are the refused lines' only (a file's chunk is counted, its accepted lines are not listed).
    `before_insert` is awaited once the chunk is looked up, staged and its events queued, right before its cases
    are inserted (also when it has none): a file's lanes take their turn there, so that only the insert and what
    follows are in turn."""
    oppositions, other_campaigns = await campaigns_repo.partner_lookups(
        conn=conn, partner_id=campaign.partner_id, campaign_id=campaign.campaign_id)
    checked = chunk.checked
    if oppositions:
        checked = await _refuse_opposed(conn=conn, partner_id=campaign.partner_id, checked=chunk.checked)
    if checked is not chunk.checked:  # someone on the opposition list: another line of a reference may open
        chunk = prepare_chunk(checked, campaign=campaign, now=chunk.now)
    elsewhere: dict[str, str] = {}
    if other_campaigns:
        elsewhere = await cases_repo.open_in_other_campaigns(conn=conn, partner_id=campaign.partner_id,
                                                             campaign_id=campaign.campaign_id,
                                                             refs=list(chunk.case_ids))
    rejected = [c for c in checked if isinstance(c, RejectedCase)]
    dead_letters = [encoded(case_rejected(r, submission_id=submission_id, partner_id=campaign.partner_id,
                                          campaign_id=campaign.campaign_id, channel=channel, rejected_at=chunk.now))
                    for r in rejected]
    opened = await _open(conn=conn, campaign=campaign, submission_id=submission_id, chunk=chunk,
                         to_open=[c.external_ref for c in chunk.candidates if c.external_ref not in elsewhere],
                         dead_letters=dead_letters, before_insert=before_insert or _nothing)
    results = batch_results(checked, opened=opened, case_ids=chunk.case_ids, open_elsewhere=elsewhere,
                            accepted=accepted_results)
    refused = [r for r in results if r.status != Outcome.ACCEPTED]
    await submissions_repo.store_refused(conn=conn, submission_id=submission_id, refused=refused, checked=checked)
    duplicates = sum(r.status == Outcome.DUPLICATE for r in refused)
    return ChunkTaken(results=results, accepted=len(opened), rejected=len(rejected), duplicates=duplicates)


async def _open(*, conn: asyncpg.Connection, campaign: Campaign, submission_id: uuid.UUID, chunk: PreparedChunk,
                to_open: list[str], dead_letters: list[EncodedEvent],
                before_insert: Callable[[], Awaitable[None]]) -> set[str]:
    """Open the cases `to_open`: staged and their CaseOpened events queued with the chunk's dead letters, then
    inserted as new (in a savepoint); when one was there already, inserted skipping the known ones, and only the
    opened ones' events queued. The external_refs opened."""
    if not to_open:
        await outbox.enqueue_encoded(conn, dead_letters)
        await before_insert()
        return set()
    where = {"campaign_id": campaign.campaign_id, "partner_id": campaign.partner_id, "submission_id": submission_id,
             "opened_at": chunk.now}
    await cases_repo.stage_cases(conn=conn, records=[chunk.records[r] for r in to_open])
    async with as_new(conn) as attempt:
        await outbox.enqueue_encoded(conn, [*dead_letters, *(chunk.events[r] for r in to_open)])
        await before_insert()
        await cases_repo.insert_staged(conn=conn, **where)
    if attempt.added:
        return set(to_open)
    await before_insert()  # again: what it took in the savepoint went with it
    opened = await cases_repo.insert_staged_skipping_known(conn=conn, **where)
    await outbox.enqueue_encoded(conn, [*dead_letters, *(chunk.events[r] for r in to_open if r in opened)])
    return opened


async def _nothing() -> None:
    return None


async def _refuse_opposed(*, conn: asyncpg.Connection, partner_id: str,
                          checked: Sequence[ValidCase | RejectedCase]) -> Sequence[ValidCase | RejectedCase]:
    valid = [c for c in checked if isinstance(c, ValidCase)]
    phones, refs = await oppositions_repo.opposed(conn=conn, partner_id=partner_id,
                                                  phones=[c.phone.e164 for c in valid if c.phone],
                                                  refs=[c.external_ref for c in valid])
    return refuse_opposed(checked, phones=phones, refs=refs) if phones or refs else checked
