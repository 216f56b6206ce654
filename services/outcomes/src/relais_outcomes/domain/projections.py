"""Rules of the projections outcomes keeps of other services' events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from relais_platform.contracts import AssignmentChanged


def latest_change_per_case(changes: Iterable[AssignmentChanged]) -> list[AssignmentChanged]:
    """Keep, per case, the change with the latest changed_at (on a tie, the one delivered last)."""
    latest: dict[uuid.UUID, AssignmentChanged] = {}
    for change in changes:
        kept = latest.get(change.case_id)
        if kept is None or change.changed_at >= kept.changed_at:
            latest[change.case_id] = change
    return list(latest.values())
