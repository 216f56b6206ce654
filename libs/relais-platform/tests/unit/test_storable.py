"""What a request body may hold: no NUL, no lone surrogate, no integer beyond 64 bits; and where it does, the
path to the first offending value (found by the API fuzz suite: each of them used to answer 500)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from relais_platform.storable import INT_MAX, INT_MIN, text_problem, unstorable

storable_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
storable_json = st.recursive(
    st.none() | st.booleans() | st.integers(INT_MIN, INT_MAX) | st.floats(allow_nan=False) | storable_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=20,
)
unstorable_value = st.sampled_from(["a\x00b", "\ud800", "x\udfffy", INT_MAX + 1, INT_MIN - 1, 10**30, -(10**40)])


@given(storable_json)
def test_anything_postgresql_and_orjson_hold_is_storable(doc: Any) -> None:
    assert unstorable(doc) is None
    orjson.dumps(doc)


@given(storable_json, unstorable_value, st.data())
def test_an_unstorable_value_is_found_where_it_is(doc: Any, bad: Any, data: st.DataObject) -> None:
    path = data.draw(st.lists(st.sampled_from(["cases", "extra", "k"]) | st.integers(0, 2), max_size=4))
    wrapped: Any = bad
    for step in reversed(path):
        wrapped = [None] * step + [wrapped] if isinstance(step, int) else {step: wrapped}
    found = unstorable({"ok": doc, "bad": wrapped})
    assert found is not None and found[0] == ("bad", *path)


def test_the_reason_names_the_problem() -> None:
    assert unstorable({"name": "a\x00"}) == (("name",), "may not contain the NUL character (U+0000)")
    assert unstorable({"n": [1, 2**64]}) == (("n", 1), "integer out of range (beyond 64 bits)")
    assert unstorable({"n": 2**64 - 1, "m": -(2**63), "b": True}) is None
    assert unstorable(["\udc00"]) == ((0,), "is not valid Unicode text (lone surrogate)")
    assert text_problem("Zoé N'Diaye 🙂") is None


def test_a_bad_key_is_named_printably() -> None:
    path, reason = unstorable({"extra": {"k\udc00": 1}})  # type: ignore[misc]
    assert path == ("extra", "k\\udc00") and reason.startswith("key ")
    assert unstorable({"\x00": 1}) == (("\x00",), "key may not contain the NUL character (U+0000)")


def test_deep_nesting_is_walked_without_recursion() -> None:
    doc: Any = "\x00"
    for _ in range(5000):
        doc = [doc]
    found = unstorable(doc)
    assert found is not None and len(found[0]) == 5000
