"""Exports in pure Python: the partner's outcome file (the partner feed, no agent notes), invoice lines with
their evidence, the accounting file, and how amounts read on a French invoice."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.outcomes import Outcome

OUTCOME_COLUMNS: tuple[str, ...] = (
    "outcome_id", "case_id", "external_ref", "campaign_id", "outcome", "resolved_at", "current",
    "supersedes_outcome_id", "correction_reason", "payment_plan_instalments", "payment_plan_first_due_date",
    "payment_plan_instalment_amounts_cents", "referral_target", "referral_status", "contact_phone_e164",
    "contact_address_line1", "contact_address_line2", "contact_postcode", "contact_city",
)


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text (comma-separated, CRLF line ends, RFC 4180 quoting; None is an empty cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def outcome_row(outcome: Outcome, *, external_ref: str) -> list[object]:
    """One outcome as a CSV row of OUTCOME_COLUMNS: what the partner feed says, never the agent's note."""
    plan, referral, contact = outcome.details.payment_plan, outcome.details.referral, outcome.details.contact_update
    address = contact.address if contact else None
    return [
        outcome.outcome_id, outcome.case_id, external_ref, outcome.campaign_id, str(outcome.type),
        outcome.resolved_at.isoformat(), "true" if outcome.is_current else "false",
        outcome.supersedes_outcome_id, outcome.correction_reason,
        plan.instalments if plan else None, plan.first_due_date.isoformat() if plan else None,
        ";".join(map(str, plan.instalment_amounts_cents)) if plan else None,
        str(referral.target) if referral else None, str(referral.status) if referral else None,
        contact.phone_e164 if contact else None,
        address.line1 if address else None, address.line2 if address else None,
        address.postcode if address else None, address.city if address else None,
    ]


INVOICE_LINE_COLUMNS: tuple[str, ...] = (
    "invoice_number", "position", "line_id", "kind", "case_id", "campaign_id", "period", "occurred_at",
    "amount_cents", "tariff_version_id", "evidence_event_ids",
)
ACCOUNTING_COLUMNS: tuple[str, ...] = (
    "issue_date", "document", "number", "invoice_number", "partner_id", "period", "due_date", "net_cents",
    "vat_rate_bp", "vat_cents", "total_cents",
)


def invoice_line_rows(number: str, lines: Iterable[BillingLine]) -> list[list[object]]:
    """One CSV row per invoice line with its case and the ids of the events that prove it."""
    return [[number, position, x.line_id, str(x.kind), x.case_id, x.campaign_id, x.period, x.occurred_at.isoformat(),
             x.amount_cents, x.tariff_version_id, ";".join(map(str, x.evidence_event_ids))]
            for position, x in enumerate(lines, start=1)]


@dataclass(frozen=True, slots=True)
class LineGroup:
    """Invoice lines of one kind at one unit price (what a printed invoice lists)."""

    kind: str
    unit_cents: int
    quantity: int

    @property
    def amount_cents(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_cents


def group_lines(lines: Iterable[BillingLine]) -> list[LineGroup]:
    """Lines summed per (kind, unit price), in the order kinds first appear."""
    counts: Counter[tuple[str, int]] = Counter((str(x.kind), x.amount_cents) for x in lines)
    return [LineGroup(kind, unit, quantity) for (kind, unit), quantity in counts.items()]


def euros(cents: int) -> str:
    """French display of an amount: `-1 234,56`, integers only."""
    sign, magnitude = ("-" if cents < 0 else ""), abs(cents)
    units = f"{magnitude // 100:,}".replace(",", " ")
    return f"{sign}{units},{magnitude % 100:02d}"


def rate_percent(bp: int) -> str:
    """A VAT rate in basis points shown as French percent: 2000 → `20,00 %`."""
    return f"{bp // 100},{bp % 100:02d} %"
