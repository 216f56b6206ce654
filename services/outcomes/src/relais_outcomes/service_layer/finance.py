"""Handlers of finance commands and queries: tariff versions and monthly statements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from relais_outcomes.adapters import invoices_repo, tariffs_repo
from relais_outcomes.adapters.projections import partner_known
from relais_outcomes.domain.commands import PutTariff
from relais_outcomes.domain.statements import Adjustment, AdjustmentKind, Statement
from relais_outcomes.domain.tariffs import Tariff
from relais_outcomes.service_layer.invoicing import statement_of
from relais_platform.auth import Principal, Role
from relais_platform.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class TariffVersionUsage:
    """A tariff version and how many billing lines it priced (a used version can no longer be replaced)."""

    tariff: Tariff
    lines_priced: int


async def put_tariff(*, conn: asyncpg.Connection, principal: Principal,
                     command: PutTariff) -> tuple[bool, list[TariffVersionUsage]]:
    """Add a version, or replace the one with the same effective date while no line was priced with it.

    Returns (created, every version of the partner's tariff). Re-sending identical terms changes nothing.
    """
    await tariffs_repo.lock_partner_tariff(conn, partner_id=command.partner_id)
    existing = await tariffs_repo.version_on(conn, partner_id=command.partner_id,
                                             effective_from=command.effective_from)
    proposed = Tariff(
        tariff_version_id=existing.tariff_version_id if existing else uuid.uuid4(), partner_id=command.partner_id,
        effective_from=command.effective_from, fees=dict(command.fees), vat_rate_bp=command.vat_rate_bp,
        monthly_minimum_cents=command.monthly_minimum_cents, monthly_cap_cents=command.monthly_cap_cents,
        created_by=principal.sub,
    )
    if existing is None or not existing.same_terms(proposed):
        if existing is not None:
            used = await tariffs_repo.lines_priced_with(conn, tariff_version_ids=[existing.tariff_version_id])
            if used:
                raise Conflict(
                    f"the version effective from {command.effective_from} already priced "
                    f"{used[existing.tariff_version_id]} billing lines; add a version with a later effective_from",
                    field="effective_from")
        await tariffs_repo.save_version(conn, tariff=proposed)
    return existing is None, await tariff_versions(conn=conn, partner_id=command.partner_id)


async def tariff_versions(*, conn: asyncpg.Connection, partner_id: str) -> list[TariffVersionUsage]:
    """Every version of a partner's tariff, oldest first, with its usage."""
    versions = (await tariffs_repo.tariffs_of(conn, partner_ids=[partner_id]))[partner_id]
    usage = await tariffs_repo.lines_priced_with(conn, tariff_version_ids=[v.tariff_version_id for v in versions])
    return [TariffVersionUsage(v, usage.get(v.tariff_version_id, 0)) for v in versions]


async def draft_statement(*, conn: asyncpg.Connection, principal: Principal, partner_id: str,
                          period: str) -> tuple[Statement, str | None]:
    """A partner's statement for a month and its invoice number once finalised (then the frozen invoice);
    a partner sees only its own (404 otherwise)."""
    if principal.role == Role.PARTNER and principal.partner_id != partner_id:
        raise NotFound(f"partner {partner_id} not found", field="partner_id")
    if not await partner_known(conn, partner_id=partner_id):
        raise NotFound(f"partner {partner_id} not found", field="partner_id")
    invoice = await invoices_repo.invoice_of_period(conn, partner_id=partner_id, period=period)
    if invoice is None:
        return await statement_of(conn=conn, partner_id=partner_id, period=period), None
    versions = (await tariffs_repo.tariffs_of(conn, partner_ids=[partner_id]))[partner_id]
    tariff = next((v for v in versions if v.tariff_version_id == invoice.tariff_version_id), None)
    adjustment = Adjustment(AdjustmentKind(invoice.adjustment_kind), invoice.adjustment_cents) \
        if invoice.adjustment_kind else None
    lines = await invoices_repo.invoice_lines(conn, number=invoice.number)
    return Statement(partner_id=partner_id, period=period, lines=tuple(lines), tariff=tariff,
                     subtotal_cents=invoice.subtotal_cents, adjustment=adjustment, vat_rate_bp=invoice.vat_rate_bp,
                     vat_cents=invoice.vat_cents), invoice.number
