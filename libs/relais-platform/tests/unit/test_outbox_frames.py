"""Outbox frames: a transaction's one-off events on one topic in one row, read back whole and in order."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from relais_platform.outbox import EncodedEvent, _outbox_rows, frame, unframe

_events = st.builds(EncodedEvent, event_id=st.uuids().map(str), topic=st.sampled_from(["a.v1", "b.v1"]),
                    key=st.text(max_size=40), value=st.binary(max_size=300), dedupe=st.booleans())


@given(st.lists(_events, max_size=30))
def test_a_frame_gives_back_each_events_key_and_value_in_order(events: list[EncodedEvent]) -> None:
    assert list(unframe(frame(events))) == [(e.key.encode(), e.value) for e in events]


@given(st.lists(_events, max_size=30), st.integers(2, 40))
def test_outbox_rows_keep_every_event_in_order_and_frame_only_runs_of_one_offs(events: list[EncodedEvent],
                                                                              frame_events: int) -> None:
    rows = _outbox_rows(events, frame_events=frame_events)
    listed = []
    for event_id, topic, key, value, dedupe, count in rows:
        if count is None:
            listed.append(EncodedEvent(event_id, topic, key, value, dedupe))
        else:  # a frame: two or more one-offs of one topic, as many as it says, no more than the cap
            inside = list(unframe(value))
            assert frame_events >= count == len(inside) >= 2 and not dedupe
            listed += [EncodedEvent(None, topic, k.decode(), v, False) for k, v in inside]
    assert [(e.topic, e.key, e.value, e.dedupe) for e in listed] == [(e.topic, e.key, e.value, e.dedupe)
                                                                     for e in events]


def test_a_checked_event_between_one_offs_splits_the_frame() -> None:
    def event(dedupe: bool, topic: str = "t.v1") -> EncodedEvent:
        return EncodedEvent(str(uuid.uuid4()), topic, "k", b"{}", dedupe)

    rows = _outbox_rows([event(False), event(False), event(True), event(False), event(False, "u.v1"),
                         event(False, "u.v1"), event(False, "u.v1")])
    assert [(r[1], r[5]) for r in rows] == [("t.v1", 2), ("t.v1", None), ("t.v1", None), ("u.v1", 3)]


def test_a_long_run_of_one_offs_is_framed_a_capped_number_at_a_time() -> None:
    run = [EncodedEvent(str(uuid.uuid4()), "t.v1", f"k{i}", b"{}", False) for i in range(7)]
    assert [r[5] for r in _outbox_rows(run, frame_events=3)] == [3, 3, None]  # the last one alone: a plain row
    assert [r[5] for r in _outbox_rows(run)] == [7]
