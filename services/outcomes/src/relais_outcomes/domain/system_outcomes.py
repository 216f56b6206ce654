"""Outcomes the system records by itself: a partner's recall and a case that can no longer be contacted.

Both only close a case that has no outcome yet (an outcome is final; a recall of a resolved case
changes nothing and is kept as `ignored` with the reason). Their ids derive from the evidence event,
so a redelivery or a replay recreates the very same outcome instead of a second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from relais_platform.contracts import AssignmentChanged, AssignmentStatus, CaseRecalled, OutcomeType
from relais_platform.ids import derived_id

RECALL_RECORDER = "system:partner-recall"
EXHAUSTED_RECORDER = "system:contact-exhausted"


class SystemOutcomeState(StrEnum):
    PENDING = "pending"  # the case is not known yet
    APPLIED = "applied"
    IGNORED = "ignored"  # the case already had an outcome


@dataclass(frozen=True, slots=True)
class SystemOutcome:
    """An outcome asked for by another service's event, waiting for (or applied to) its case."""

    event_id: uuid.UUID
    case_id: uuid.UUID
    type: OutcomeType
    reason: str | None
    occurred_at: datetime

    @property
    def outcome_id(self) -> uuid.UUID:
        """The id of the outcome this event creates (deterministic)."""
        return derived_id(f"system-outcome:{self.type}", self.event_id)

    @property
    def recorded_by(self) -> str:
        """Who the history names as the recorder."""
        return RECALL_RECORDER if self.type == OutcomeType.RECALLED else EXHAUSTED_RECORDER


def from_recall(event_id: uuid.UUID, recall: CaseRecalled) -> SystemOutcome:
    """A partner's recall closes the case as `recalled` (never billed)."""
    return SystemOutcome(event_id=event_id, case_id=recall.case_id, type=OutcomeType.RECALLED,
                         reason=recall.reason, occurred_at=recall.recalled_at)


def from_assignment(event_id: uuid.UUID, change: AssignmentChanged) -> SystemOutcome | None:
    """An `exhausted` assignment closes the case as `unreachable` (billed as a closed case); others nothing."""
    if change.status != AssignmentStatus.EXHAUSTED:
        return None
    return SystemOutcome(event_id=event_id, case_id=change.case_id, type=OutcomeType.UNREACHABLE,
                         reason=change.reason or "no contact possible any more within the campaign",
                         occurred_at=change.changed_at)


def resolve_pending(pending: list[SystemOutcome], current: dict[uuid.UUID, OutcomeType],
                    ) -> tuple[list[SystemOutcome], dict[uuid.UUID, str]]:
    """Which pending outcomes to apply, oldest first, and why the others are ignored.

    `current` maps each case to its current outcome type (absent: unresolved). The first pending
    outcome of an unresolved case closes it; any later one for the same case is ignored.
    """
    resolved = dict(current)
    applied: list[SystemOutcome] = []
    ignored: dict[uuid.UUID, str] = {}
    for item in sorted(pending, key=lambda p: (p.occurred_at, str(p.event_id))):
        if item.case_id in resolved:
            ignored[item.event_id] = f"case already resolved as {resolved[item.case_id]}"
            continue
        resolved[item.case_id] = item.type
        applied.append(item)
    return applied, ignored
