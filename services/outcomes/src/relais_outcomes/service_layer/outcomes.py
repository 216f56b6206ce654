"""Handlers of outcome commands and queries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from relais_outcomes import SOURCE
from relais_outcomes.adapters import outcomes_repo
from relais_outcomes.adapters.projections import CaseRecord, find_case
from relais_outcomes.domain.access import may_read_outcome, may_record_outcome
from relais_outcomes.domain.calendar import billing_date
from relais_outcomes.domain.commands import RecordOutcome
from relais_outcomes.domain.exports import OUTCOME_COLUMNS, csv_text, outcome_row
from relais_outcomes.domain.outcomes import (
    CurrentOutcome,
    Outcome,
    check_correction,
    check_resolved_at,
    validate_details,
)
from relais_outcomes.domain.referrals import may_follow_up_referral, referral_step
from relais_platform.auth import Principal, Role
from relais_platform.contracts import OutcomeType, ReferralStatus
from relais_platform.errors import NotFound, Unprocessable
from relais_platform.events import envelope
from relais_platform.outbox import enqueue

CLOCK_SKEW = timedelta(minutes=5)


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


async def follow_up_referral(*, conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID,
                             status: ReferralStatus, at: datetime | None, note: str | None,
                             now: datetime) -> tuple[Outcome, CaseRecord]:
    """Move the case's referral forward: a new outcome superseding the current one, published as CaseResolved."""
    case = await find_case(conn, case_id=case_id, for_update=True)
    if case is None or not may_follow_up_referral(principal, partner_id=case.partner_id,
                                                  holder_agent_id=case.scope.holder_agent_id,
                                                  holder_site_id=case.scope.holder_site_id):
        raise NotFound(f"case {case_id} not found", field="case_id")
    current = await outcomes_repo.current_outcome(conn, case_id=case_id)
    details, reason = referral_step(current, status)
    assert current is not None  # referral_step refused a case without one
    resolved_at = at or now
    if resolved_at > now + CLOCK_SKEW or resolved_at < current.resolved_at:
        raise Unprocessable("updated_at must lie between the current outcome and now", field="updated_at")
    outcome = await outcomes_repo.add_outcome(conn, outcome=Outcome(
        outcome_id=uuid.uuid4(), case_id=case_id, partner_id=case.partner_id, campaign_id=case.campaign_id,
        type=OutcomeType.REFERRED, details=details, note=note, recorded_by=principal.sub, resolved_at=resolved_at,
        supersedes_outcome_id=current.outcome_id, correction_reason=reason,
    ))
    await enqueue(conn, [envelope(outcome.to_event(external_ref=case.external_ref), source=SOURCE,
                                  event_id=outcome.outcome_id, time=now)])
    return outcome, case


async def check_campaign_readable(*, conn: asyncpg.Connection, principal: Principal, campaign_id: uuid.UUID) -> None:
    """404 unless the campaign is known and (for a partner) its own."""
    partner_id = await outcomes_repo.campaign_partner(conn, campaign_id=campaign_id)
    if partner_id is None or (principal.role == Role.PARTNER and principal.partner_id != partner_id):
        raise NotFound(f"campaign {campaign_id} not found", field="campaign_id")


async def campaign_outcomes_csv(*, pool: asyncpg.Pool, campaign_id: uuid.UUID) -> AsyncIterator[str]:
    """The campaign's outcomes file, header first, streamed chunk by chunk (same facts as the partner feed)."""
    yield csv_text([OUTCOME_COLUMNS])
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        async for chunk in outcomes_repo.stream_campaign_outcomes(conn, campaign_id=campaign_id):
            yield csv_text(outcome_row(o, external_ref=ref) for o, ref in chunk)
