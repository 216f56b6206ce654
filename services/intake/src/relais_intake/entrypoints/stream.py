"""Stream agents of the intake service.

Intake consumes no topic yet: partners submit over HTTP, and the events it produces (CaseOpened) leave
through the transactional outbox, whose relay `bootstrap.create_worker` already runs as a faust task.
The partner channel `relais.intake.submissions.v1` gets its agent here when that channel is built.
"""

from __future__ import annotations

import faust

from relais_platform.runtime import Resources


def register(app: faust.App, resources: Resources) -> None:
    """Attach the intake agents to `app`: none at present (see the module docstring); the outbox relay runs."""
    del app, resources  # nothing to wire until intake consumes a topic
