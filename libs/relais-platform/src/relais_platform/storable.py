"""What a JSON value may hold to be stored in PostgreSQL and published as an event (orjson): no NUL character
(PostgreSQL text and jsonb cannot hold U+0000), no lone surrogate (not Unicode text: neither UTF-8 nor orjson
takes it), no integer beyond 64 bits (orjson writes -2**63 .. 2**64-1, no further). Pure Python, no I/O."""

from __future__ import annotations

from typing import Any

import orjson

INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # the integers orjson can write

Path = tuple[str | int, ...]


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return "may not contain the NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (lone surrogate)"
    return None


def _value_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        return "integer out of range (beyond 64 bits)"
    return None


def _clean(doc: Any) -> bool:
    """Fast path: orjson refuses big integers and lone surrogates, and writes U+0000 as an escape."""
    try:
        return b"\\u0000" not in orjson.dumps(doc)
    except TypeError:  # orjson.JSONEncodeError
        return False


def unstorable(doc: Any) -> tuple[Path, str] | None:
    """The path of a value (or key) of a parsed JSON document that cannot be stored, and why; None when all of
    it can. Iterative: the nesting depth of a document is the client's choice."""
    if _clean(doc):
        return None
    stack: list[tuple[Path, Any]] = [((), doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                if (problem := text_problem(str(key))) is not None:
                    return (*path, str(key).encode("utf-8", "backslashreplace").decode()), f"key {problem}"
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in reversed(list(enumerate(value))))
        elif (problem := _value_problem(value)) is not None:
            return path, problem
    return None
