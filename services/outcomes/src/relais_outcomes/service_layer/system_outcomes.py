"""Handlers of outcomes the system records by itself: partner recalls and exhausted cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import structlog

from relais_outcomes import SOURCE
from relais_outcomes.adapters import system_outcomes_repo as repo
from relais_outcomes.adapters.outcomes_repo import insert_outcomes
from relais_outcomes.domain.outcomes import Outcome, OutcomeDetails
from relais_outcomes.domain.system_outcomes import SystemOutcome, SystemOutcomeState, from_recall, resolve_pending
from relais_platform.contracts import CaseRecalled
from relais_platform.events import Envelope, envelope
from relais_platform.outbox import enqueue

log = structlog.get_logger(__name__)


async def record_recalls(*, conn: asyncpg.Connection, events: Sequence[Envelope[CaseRecalled]]) -> None:
    """Close recalled cases as `recalled`; a recall of a case not known yet waits for its CaseOpened."""
    await keep_and_apply(conn=conn, items=[from_recall(e.id, e.data) for e in events])


async def keep_and_apply(*, conn: asyncpg.Connection, items: Sequence[SystemOutcome]) -> None:
    """Store system outcomes, then apply those whose case is known."""
    if not items:
        return
    await repo.keep(conn, items=items)
    await apply_pending(conn=conn, case_ids=[i.case_id for i in items])


async def apply_pending(*, conn: asyncpg.Connection, case_ids: Sequence[uuid.UUID]) -> int:
    """Turn pending system outcomes of known, unresolved cases into outcomes published as CaseResolved."""
    if not case_ids:
        return 0
    pending, cases = await repo.pending_for_known_cases(conn, case_ids=case_ids)
    if not pending:
        return 0
    current = await repo.current_types(conn, case_ids=list(cases))
    applied, ignored = resolve_pending(pending, current)
    outcomes = [_outcome(item, cases[item.case_id]) for item in applied]
    await insert_outcomes(conn, outcomes=outcomes)
    now = datetime.now(UTC)
    await enqueue(conn, [envelope(o.to_event(external_ref=cases[o.case_id].external_ref), source=SOURCE,
                                  event_id=o.outcome_id, time=now) for o in outcomes])
    await repo.mark(conn, states={**{i.event_id: (SystemOutcomeState.APPLIED, None) for i in applied},
                                  **{k: (SystemOutcomeState.IGNORED, why) for k, why in ignored.items()}})
    for event_id, why in ignored.items():
        log.info("system outcome ignored", event_id=str(event_id), reason=why)
    return len(outcomes)


def _outcome(item: SystemOutcome, case: repo.KnownCase) -> Outcome:
    # An event stamped before the case opened (clock skew between services) resolves it when it opened.
    return Outcome(outcome_id=item.outcome_id, case_id=item.case_id, partner_id=case.partner_id,
                   campaign_id=case.campaign_id, type=item.type, details=OutcomeDetails(), note=item.reason,
                   recorded_by=item.recorded_by, resolved_at=max(item.occurred_at, case.opened_at))
