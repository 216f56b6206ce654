"""Rules for recording a contact attempt, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from relais_platform.contracts import AttemptResult, Channel
from relais_platform.errors import Unprocessable

MAX_CLOCK_SKEW = timedelta(minutes=2)  # devices' clocks drift; an attempt is never really in the future
MAX_ATTEMPT_AGE = timedelta(days=7)  # offline devices sync late, but not weeks later
MAX_CALLBACK_DELAY = timedelta(days=90)

PHONE_ONLY_RESULTS = frozenset({AttemptResult.BUSY, AttemptResult.VOICEMAIL, AttemptResult.WRONG_NUMBER})
DOOR_ONLY_RESULTS = frozenset({AttemptResult.NOT_HOME})
# The agent spoke with the person, whatever they said.
CONTACT_RESULTS = frozenset({AttemptResult.REACHED, AttemptResult.CALLBACK_REQUESTED, AttemptResult.REFUSED})


@dataclass(frozen=True, slots=True)
class AttemptDraft:
    """An attempt as the agent reports it, before it is recorded."""

    result: AttemptResult
    channel: Channel
    attempted_at: datetime
    callback_at: datetime | None = None
    callback_open_to_site: bool = False


def validate_attempt(draft: AttemptDraft, *, now: datetime, has_phone: bool, has_address: bool) -> None:
    """Refuse (422 naming the field) an attempt that cannot have happened as reported."""
    _check_channel(draft, has_phone=has_phone, has_address=has_address)
    if draft.attempted_at > now + MAX_CLOCK_SKEW:
        raise Unprocessable("attempted_at is in the future", field="attempted_at")
    if draft.attempted_at < now - MAX_ATTEMPT_AGE:
        raise Unprocessable("attempted_at is more than 7 days old", field="attempted_at")
    _check_callback(draft)


def _check_channel(draft: AttemptDraft, *, has_phone: bool, has_address: bool) -> None:
    if draft.channel is Channel.PHONE and not has_phone:
        raise Unprocessable("the case has no phone number to call", field="channel")
    if draft.channel is Channel.DOOR_TO_DOOR and not has_address:
        raise Unprocessable("the case has no address to visit", field="channel")
    if draft.channel is Channel.DOOR_TO_DOOR and draft.result in PHONE_ONLY_RESULTS:
        raise Unprocessable(f"result {draft.result} only exists for phone calls", field="result")
    if draft.channel is Channel.PHONE and draft.result in DOOR_ONLY_RESULTS:
        raise Unprocessable(f"result {draft.result} only exists for visits", field="result")


def _check_callback(draft: AttemptDraft) -> None:
    if draft.result is not AttemptResult.CALLBACK_REQUESTED:
        if draft.callback_at is not None:
            raise Unprocessable("callback_at is only for result callback_requested", field="callback_at")
        if draft.callback_open_to_site:
            raise Unprocessable("callback_open_to_site is only for result callback_requested",
                                field="callback_open_to_site")
        return
    if draft.callback_at is None:
        raise Unprocessable("callback_requested needs callback_at", field="callback_at")
    if draft.callback_at <= draft.attempted_at:
        raise Unprocessable("callback_at must be after attempted_at", field="callback_at")
    if draft.callback_at > draft.attempted_at + MAX_CALLBACK_DELAY:
        raise Unprocessable("callback_at is more than 90 days after the attempt", field="callback_at")


def is_contact(result: AttemptResult) -> bool:
    """True when the attempt reached the person."""
    return result in CONTACT_RESULTS


def ratio(part: int, whole: int) -> float:
    """part / whole as a float, 0.0 when there is nothing to divide."""
    return round(part / whole, 4) if whole else 0.0
