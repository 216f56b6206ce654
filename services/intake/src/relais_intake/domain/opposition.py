"""Oppositions: a person who objected is never contacted again for that partner, so their rows are refused."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from relais_intake.domain.address import is_blank
from relais_intake.domain.phones import parse_phone
from relais_intake.domain.problems import FieldError, FieldProblem
from relais_intake.domain.validation import RejectedCase, ValidCase, parse_external_ref


class OppositionKind(StrEnum):
    PHONE = "phone"
    EXTERNAL_REF = "external_ref"


@dataclass(frozen=True, slots=True)
class Opposition:
    """Who objected: a phone number (any form, kept as E.164) or the partner's reference of the person."""

    kind: OppositionKind
    value: str


def opposition_of(*, phone: object = None, external_ref: object = None) -> Opposition:
    """The opposition for exactly one of a phone number or an external_ref; FieldProblem otherwise."""
    if is_blank(phone) == is_blank(external_ref):
        raise FieldProblem("one_of", "give exactly one of phone or external_ref")
    if not is_blank(phone):
        return Opposition(OppositionKind.PHONE, parse_phone(phone).e164)
    return Opposition(OppositionKind.EXTERNAL_REF, parse_external_ref(external_ref))


def refuse_opposed(checked: Sequence[ValidCase | RejectedCase], *, phones: Collection[str],
                   refs: Collection[str]) -> list[ValidCase | RejectedCase]:
    """The chunk with every valid case whose phone or reference is on the opposition list refused."""
    out: list[ValidCase | RejectedCase] = []
    for case in checked:
        if isinstance(case, ValidCase) and (case.external_ref in refs or (case.phone and case.phone.e164 in phones)):
            field = "external_ref" if case.external_ref in refs else "phone"
            reason = FieldError(field, "opposition", "this person objected to being contacted on behalf of the "
                                                     "partner (opposition list); the row is not taken")
            out.append(RejectedCase(case.line, case.external_ref, (reason,), case.raw))
        else:
            out.append(case)
    return out
