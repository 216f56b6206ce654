"""A batch of cases: which ones to open, which are duplicates, and the per-line outcome told to the partner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from relais_intake.domain.problems import FieldError
from relais_intake.domain.validation import RejectedCase, ValidCase

Checked = ValidCase | RejectedCase


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What happened to one line of a batch."""

    index: int
    line: int
    external_ref: str | None
    status: Outcome
    case_id: str | None  # the case's UUID as text
    reasons: tuple[FieldError, ...] = ()
    warnings: tuple[FieldError, ...] = ()


def cases_to_open(checked: Sequence[Checked]) -> list[ValidCase]:
    """Valid cases, each external_ref once (its first valid line): the candidates for opening."""
    seen: set[str] = set()
    chosen: list[ValidCase] = []
    for case in checked:
        if isinstance(case, ValidCase) and case.external_ref not in seen:
            seen.add(case.external_ref)
            chosen.append(case)
    return chosen


def batch_results(checked: Sequence[Checked], *, opened: set[str], case_ids: Mapping[str, str],
                  open_elsewhere: Mapping[str, str] | None = None, accepted: bool = True) -> list[CaseResult]:
    """One result per line: rejected, accepted (opened now) or duplicate (earlier line, already in the campaign,
    or open in another active campaign of the partner: `open_elsewhere` maps such refs to that campaign). Without
    `accepted`, only the refused lines' (what a file keeps of a chunk)."""
    elsewhere = open_elsewhere or {}
    first_line: dict[str, int] = {}
    results: list[CaseResult] = []
    for index, case in enumerate(checked):
        if isinstance(case, RejectedCase):
            results.append(CaseResult(index, case.line, case.external_ref, Outcome.REJECTED, None, case.reasons))
            continue
        ref = case.external_ref
        if ref in first_line:
            reason = FieldError("external_ref", "duplicate_in_batch",
                                f"external_ref {ref!r} was already given on line {first_line[ref]} of this batch")
        elif ref in opened:
            reason = None
        elif ref in elsewhere:
            reason = FieldError("external_ref", "open_in_other_campaign",
                                f"a case with external_ref {ref!r} is already open in campaign {elsewhere[ref]}")
        else:
            reason = FieldError("external_ref", "already_in_campaign",
                                f"a case with external_ref {ref!r} already exists in this campaign")
        first_line.setdefault(ref, case.line)
        if reason is None and not accepted:
            continue
        status = Outcome.ACCEPTED if reason is None else Outcome.DUPLICATE
        results.append(CaseResult(index, case.line, ref, status, case_ids[ref],
                                  () if reason is None else (reason,), case.warnings))
    return results
