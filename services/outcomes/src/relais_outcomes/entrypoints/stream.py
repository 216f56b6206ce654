"""Stream agents of the outcomes worker: projections of cases and holders, billing from published work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from relais_outcomes.adapters.billing_codec import attempts_work, resolutions_work
from relais_outcomes.service_layer.billing import bill
from relais_outcomes.service_layer.consumers import Consumer, consume_batch
from relais_outcomes.service_layer.projections import project_assignments, project_cases_opened
from relais_outcomes.service_layer.system_outcomes import record_recalls
from relais_platform.contracts import AssignmentChanged, AttemptRecorded, CaseOpened, CaseRecalled, CaseResolved, Topics
from relais_platform.kafka import consume_in_batches
from relais_platform.runtime import Resources

# Bigger batches than the platform default: a batch is one transaction with a fixed number of round trips.
BATCH = 5000
# Billing consumers run three transactions at once (each on its own partitions): one batch's statements leave
# PostgreSQL's second core idle otherwise (1M-event bench: 23.6k events/s with one, 29.2k with two; since new lines
# are COPYed, 36.9k/37.7k with two and 40.2k/40.2k with three, 500k events).
BILLING_MEMBERS = 3

# Billing is derived from the published events rather than inside the HTTP transaction on purpose:
# replaying the topics reproduces exactly the same lines.
CONSUMERS: tuple[Consumer, ...] = (
    Consumer(Topics.CASES_OPENED, CaseOpened, project_cases_opened),
    Consumer(Topics.CASES_RECALLED, CaseRecalled, record_recalls),
    Consumer(Topics.ASSIGNMENTS, AssignmentChanged, project_assignments),
    Consumer(Topics.ATTEMPTS, AttemptRecorded, bill, chunk=attempts_work),
    Consumer(Topics.OUTCOMES_RESOLVED, CaseResolved, bill, chunk=resolutions_work),
)


def batch_handler(resources: Resources, consumer: Consumer) -> Any:
    """The function the bulk consumer calls with each batch of raw values of `consumer`'s topic."""
    async def handle(raws: Sequence[bytes]) -> None:
        await consume_batch(await resources.pool(), raws, consumer=consumer)
    return handle


def register(app: faust.App, resources: Resources, consumers: Sequence[Consumer] = CONSUMERS) -> None:
    """Declare one agent per consumed topic on the worker's faust app."""
    for consumer in consumers:
        _register_agent(app, resources, consumer)


def _register_agent(app: faust.App, resources: Resources, consumer: Consumer) -> None:
    consume_in_batches(app, consumer.topic, batch_handler(resources, consumer), consumer=consumer.name, max_batch=BATCH,
                       members=BILLING_MEMBERS if consumer.dedupes_itself else 1)
