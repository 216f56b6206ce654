"""People's names and other free text: tidy the whitespace and the Unicode form, never the spelling."""

from __future__ import annotations

import re
import unicodedata

from relais_intake.domain.problems import FieldProblem

NAME_MAX_LENGTH = 100
_WHITESPACE_RUN = re.compile(r"\s+")


def clean_text(value: object, *, max_length: int, what: str = "this field") -> str:
    """Strip, NFC-normalise and collapse whitespace; refuse missing, non-text, control characters, too long."""
    if value is None:
        raise FieldProblem("required", f"{what} is required")
    if not isinstance(value, str):
        raise FieldProblem("invalid_type", f"{what} must be text")
    text = _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise FieldProblem("required", f"{what} is required and may not be blank")
    if not text.isprintable():  # whitespace is already one plain space: what is left is control/unassigned
        raise FieldProblem("invalid_characters", f"{what} contains control or unassigned characters")
    if len(text) > max_length:
        raise FieldProblem("too_long", f"{what} is longer than {max_length} characters")
    return text


def clean_name(value: object, *, what: str = "the name") -> str:
    """A first or last name as given (accents, hyphens, apostrophes, particles kept), tidied and bounded."""
    return clean_text(value, max_length=NAME_MAX_LENGTH, what=what)
