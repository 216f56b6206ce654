"""What makes a reported attempt acceptable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from relais_campaigns.domain.attempts import AttemptDraft, is_contact, ratio, validate_attempt
from relais_platform.contracts import AttemptResult, Channel
from relais_platform.errors import Unprocessable

NOW = datetime(2025, 3, 3, 15, tzinfo=UTC)
R = AttemptResult


def check(result=R.NO_ANSWER, channel=Channel.PHONE, attempted_at=NOW, callback_at=None, *, phone=True,
          address=True) -> None:
    validate_attempt(AttemptDraft(result=result, channel=channel, attempted_at=attempted_at, callback_at=callback_at),
                     now=NOW, has_phone=phone, has_address=address)


def field_of(**kwargs) -> str | None:
    with pytest.raises(Unprocessable) as err:
        check(**kwargs)
    return err.value.field


def test_a_plain_attempt_now_is_fine() -> None:
    check()
    check(R.NOT_HOME, Channel.DOOR_TO_DOOR)


def test_attempted_at_allows_two_minutes_of_clock_skew_and_seven_days_of_delay() -> None:
    check(attempted_at=NOW + timedelta(minutes=2))
    check(attempted_at=NOW - timedelta(days=7))
    assert field_of(attempted_at=NOW + timedelta(minutes=2, seconds=1)) == "attempted_at"
    assert field_of(attempted_at=NOW - timedelta(days=7, seconds=1)) == "attempted_at"


def test_a_callback_needs_a_time_after_the_attempt() -> None:
    check(R.CALLBACK_REQUESTED, callback_at=NOW + timedelta(hours=2))
    assert field_of(result=R.CALLBACK_REQUESTED) == "callback_at"
    assert field_of(result=R.CALLBACK_REQUESTED, callback_at=NOW) == "callback_at"
    assert field_of(result=R.CALLBACK_REQUESTED, callback_at=NOW - timedelta(minutes=1)) == "callback_at"
    assert field_of(result=R.CALLBACK_REQUESTED, callback_at=NOW + timedelta(days=91)) == "callback_at"


def test_a_callback_relative_to_a_past_attempt_may_itself_be_past() -> None:
    earlier = NOW - timedelta(days=2)
    check(R.CALLBACK_REQUESTED, attempted_at=earlier, callback_at=earlier + timedelta(hours=1))


def test_callback_at_without_a_callback_request_is_refused() -> None:
    assert field_of(result=R.REACHED, callback_at=NOW + timedelta(hours=1)) == "callback_at"


def test_the_channel_needs_the_contact_detail_it_uses() -> None:
    assert field_of(phone=False) == "channel"
    assert field_of(result=R.NOT_HOME, channel=Channel.DOOR_TO_DOOR, address=False) == "channel"


@pytest.mark.parametrize("result", [R.BUSY, R.VOICEMAIL, R.WRONG_NUMBER])
def test_phone_only_results_are_refused_for_visits(result) -> None:
    assert field_of(result=result, channel=Channel.DOOR_TO_DOOR) == "result"


def test_not_home_is_refused_for_calls() -> None:
    assert field_of(result=R.NOT_HOME) == "result"


def test_contact_results_and_ratio() -> None:
    assert is_contact(R.REACHED) and is_contact(R.REFUSED) and is_contact(R.CALLBACK_REQUESTED)
    assert not is_contact(R.NO_ANSWER) and not is_contact(R.NOT_HOME)
    assert ratio(1, 3) == 0.3333
    assert ratio(0, 0) == 0.0
