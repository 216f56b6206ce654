"""Handlers of outcome commands and queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from relais_outcomes import SOURCE
from relais_outcomes.adapters import outcomes_repo
from relais_outcomes.adapters.projections import CaseRecord, find_case
from relais_outcomes.domain.access import may_read_outcome, may_record_outcome
from relais_outcomes.domain.calendar import billing_date
from relais_outcomes.domain.commands import RecordOutcome
from relais_outcomes.domain.outcomes import (
    CurrentOutcome,
    Outcome,
    check_correction,
    check_resolved_at,
    validate_details,
)
from relais_platform.auth import Principal
from relais_platform.errors import NotFound
from relais_platform.events import envelope
from relais_platform.outbox import enqueue


@dataclass(frozen=True, slots=True)
class CaseOutcomes:
    """A case's current outcome (None while unresolved) and every outcome recorded for it, oldest first."""

    case: CaseRecord
    current: Outcome | None
    history: list[Outcome]


async def record_outcome(*, conn: asyncpg.Connection, principal: Principal, command: RecordOutcome,
                         now: datetime) -> tuple[Outcome, CaseRecord]:
    """Store the case's final outcome (or its correction) and enqueue the partner-facing CaseResolved."""
    case = await find_case(conn, case_id=command.case_id, for_update=True)
    if case is None or not may_record_outcome(principal, case.scope):
        raise NotFound(f"case {command.case_id} not found", field="case_id")
    validate_details(command.type, command.details, today=billing_date(now))
    resolved_at = command.resolved_at or now
    check_resolved_at(resolved_at, opened_at=case.opened_at, now=now)
    current = await outcomes_repo.current_outcome(conn, case_id=case.case_id)
    check_correction(CurrentOutcome(current.outcome_id, current.type) if current else None,
                     supersedes_outcome_id=command.supersedes_outcome_id,
                     correction_reason=command.correction_reason)
    outcome = await outcomes_repo.add_outcome(conn, outcome=Outcome(
        outcome_id=uuid.uuid4(), case_id=case.case_id, partner_id=case.partner_id, campaign_id=case.campaign_id,
        type=command.type, details=command.details, note=command.note, recorded_by=principal.sub,
        resolved_at=resolved_at, supersedes_outcome_id=command.supersedes_outcome_id,
        correction_reason=command.correction_reason,
    ))
    # The event id is the outcome id: billing lines cite it as evidence, so finance can trace them back.
    await enqueue(conn, [envelope(outcome.to_event(external_ref=case.external_ref), source=SOURCE,
                                  event_id=outcome.outcome_id, time=now)])
    return outcome, case


async def case_outcomes(*, conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID) -> CaseOutcomes:
    """The outcomes of a case the principal may see; 404 for an unknown or foreign case."""
    case = await find_case(conn, case_id=case_id)
    if case is None or not may_read_outcome(principal, case.scope):
        raise NotFound(f"case {case_id} not found", field="case_id")
    history = await outcomes_repo.history(conn, case_id=case_id)
    current = next((o for o in history if o.is_current), None)
    return CaseOutcomes(case=case, current=current, history=history)
