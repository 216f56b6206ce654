"""A NamedTuple's maker builds what its constructor builds."""

from __future__ import annotations

from typing import NamedTuple

from relais_platform.tuples import maker


class Row(NamedTuple):
    a: int
    b: str
    c: float | None = None


def test_a_maker_builds_the_named_tuple_its_constructor_builds() -> None:
    made = maker(Row)((1, "x", 2.5))
    assert made == Row(1, "x", 2.5) and type(made) is Row
    assert (made.a, made.b, made.c) == (1, "x", 2.5)
    assert made._replace(b="y") == Row(1, "y", 2.5)
