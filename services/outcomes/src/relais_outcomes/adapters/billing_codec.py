"""Billable work straight from the consumed bytes: attempts (a million a month) through orjson and plain
checks when they have the canonical shape the campaigns service publishes, everything else (and every
resolution) through the contract model, which skips and logs poison values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog

from relais_outcomes.domain.billing import BillableWork, attempt_work, billable_work, kinds_of_attempt, resolution_work
from relais_platform.contracts import AttemptRecorded, AttemptResult, CaseResolved, Channel
from relais_platform.events import Envelope, EventData, decode_batch
from relais_platform.fastjson import (
    MOMENT,
    SLUG,
    UUID_TEXT,
    all_match,
    canonical_event,
    event_pattern,
    is_moment,
    nullable,
    one_of,
    pattern_groups,
    text,
)

log = structlog.get_logger(__name__)

_ATTEMPT_KEYS = frozenset(AttemptRecorded.model_fields)
_CHANNELS = frozenset(c.value for c in Channel)
_RESULTS = frozenset(r.value for r in AttemptResult)


def attempts_work(raws: Sequence[bytes], *, consumer: str) -> list[BillableWork]:
    """The unpriced lines a chunk of AttemptRecorded values earns, each line once, in the chunk's order."""
    work: dict[str, BillableWork] = {}
    for raw in raws:
        lines = _fast_attempt(raw)
        for line in _checked([raw], AttemptRecorded, attempt_work, consumer=consumer) if lines is None else lines:
            work.setdefault(line.line_id, line)
    return list(work.values())


def resolutions_work(raws: Sequence[bytes], *, consumer: str) -> list[BillableWork]:
    """The unpriced lines a chunk of CaseResolved values earns (a few thousand a day: the contract model)."""
    work: dict[str, BillableWork] = {}
    for line in _checked(raws, CaseResolved, resolution_work, consumer=consumer):
        work.setdefault(line.line_id, line)
    return list(work.values())


def _checked(raws: Sequence[bytes], model: type[EventData], rule: Callable[[Envelope[Any]], list[BillableWork]],
             *, consumer: str) -> list[BillableWork]:
    work: list[BillableWork] = []
    for event in decode_batch(raws, model, consumer=consumer):
        try:
            work.extend(rule(event))
        except ValueError as exc:  # a time without a zone: skipped like any poison event, the batch goes on
            log.warning("unbillable event skipped", event_id=str(event.id), reason=str(exc))
    return work


# AttemptRecorded exactly as the campaigns service serialises it: one regex pass checks every value and captures
# what a line needs (a JSON parse and a check per value were a third of the billing worker's Python).
_FIELDS = {"attempt_id": text(UUID_TEXT), "case_id": text(UUID_TEXT), "partner_id": text(SLUG),
           "campaign_id": text(UUID_TEXT), "agent_id": text(SLUG), "site_id": text(SLUG),
           "channel": text(one_of(_CHANNELS)), "result": text(one_of(_RESULTS)), "attempted_at": text(MOMENT),
           "callback_at": nullable(text(MOMENT))}
_CANONICAL_ATTEMPT = event_pattern(AttemptRecorded.event_type, [(f, _FIELDS[f]) for f in AttemptRecorded.model_fields])


def _fast_attempt(raw: bytes) -> list[BillableWork] | None:
    """The lines of `raw` when it is a canonical, valid AttemptRecorded; None when the contract model must decide."""
    groups = pattern_groups(_CANONICAL_ATTEMPT, raw)
    if groups is None:
        return _parsed_attempt(raw)
    event_id, time, _, case_id, partner_id, campaign_id, _, _, channel, result, attempted_at, callback_at = groups
    try:  # the pattern checked the times' shape; whether they exist on the calendar:
        occurred_at = datetime.fromisoformat(attempted_at)
        datetime.fromisoformat(time)
        if callback_at is not None:
            datetime.fromisoformat(callback_at)
    except ValueError:
        return None
    return billable_work(kinds_of_attempt(result, channel), evidence=event_id, partner_id=partner_id,
                         case_id=case_id, campaign_id=campaign_id, occurred_at=occurred_at)


def _parsed_attempt(raw: bytes) -> list[BillableWork] | None:
    """`_fast_attempt` for canonical JSON in another layout (key order, spacing, escapes): parsed, then checked."""
    event = canonical_event(raw, AttemptRecorded.event_type, _ATTEMPT_KEYS)
    if event is None:
        return None
    a = event["data"]
    channel, result, attempted_at, callback_at = a["channel"], a["result"], a["attempted_at"], a["callback_at"]
    if not (channel in _CHANNELS and result in _RESULTS and is_moment(attempted_at)
            and (callback_at is None or is_moment(callback_at))
            and all_match(UUID_TEXT, a["attempt_id"], a["case_id"], a["campaign_id"])
            and all_match(SLUG, a["partner_id"], a["agent_id"], a["site_id"])):
        return None
    return billable_work(kinds_of_attempt(result, channel), evidence=event["id"], partner_id=a["partner_id"],
                         case_id=a["case_id"], campaign_id=a["campaign_id"],
                         occurred_at=datetime.fromisoformat(attempted_at))
