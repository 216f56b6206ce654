"""Repository of tariff versions: read per partner, insert, replace while unused."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from relais_outcomes.domain.tariffs import Tariff
from relais_platform.contracts import BillingKind

FEE_COLUMNS: dict[BillingKind, str] = {kind: f"{kind}_cents" for kind in BillingKind}
_FEES = ", ".join(FEE_COLUMNS.values())
_COLUMNS = (f"tariff_version_id, partner_id, effective_from, {_FEES}, vat_rate_bp, monthly_minimum_cents, "
            "monthly_cap_cents, created_at, created_by")


def _tariff(row: asyncpg.Record) -> Tariff:
    return Tariff(
        tariff_version_id=row["tariff_version_id"], partner_id=row["partner_id"],
        effective_from=row["effective_from"], fees={k: row[c] for k, c in FEE_COLUMNS.items()},
        vat_rate_bp=row["vat_rate_bp"], monthly_minimum_cents=row["monthly_minimum_cents"],
        monthly_cap_cents=row["monthly_cap_cents"], created_by=row["created_by"], created_at=row["created_at"],
    )


async def tariffs_of(conn: asyncpg.Connection, *, partner_ids: Sequence[str],
                     share_lock: bool = False) -> dict[str, list[Tariff]]:
    """Every version of each partner's tariff, oldest first.

    `share_lock` keeps a version from being replaced while the caller prices lines with it.
    """
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM tariff_versions WHERE partner_id = ANY($1::text[]) ORDER BY effective_from"
        + (" FOR SHARE" if share_lock else ""),
        list(partner_ids),
    )
    found: dict[str, list[Tariff]] = {p: [] for p in partner_ids}
    for row in rows:
        found[row["partner_id"]].append(_tariff(row))
    return found


async def lock_partner_tariff(conn: asyncpg.Connection, *, partner_id: str) -> None:
    """Serialise tariff writes of one partner for the rest of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"outcomes.tariff|{partner_id}")


async def version_on(conn: asyncpg.Connection, *, partner_id: str, effective_from: date) -> Tariff | None:
    """The version starting exactly on `effective_from`, row-locked against concurrent pricing."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM tariff_versions WHERE partner_id = $1 AND effective_from = $2 FOR UPDATE",
        partner_id, effective_from,
    )
    return _tariff(row) if row else None


async def lines_priced_with(conn: asyncpg.Connection, *,
                            tariff_version_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many billing lines each version priced (counted by the statement that priced them)."""
    rows = await conn.fetch(
        "SELECT tariff_version_id, sum(lines)::bigint AS n FROM tariff_version_lines "
        "WHERE tariff_version_id = ANY($1::uuid[]) GROUP BY tariff_version_id",
        list(tariff_version_ids),
    )
    return {r["tariff_version_id"]: r["n"] for r in rows}


def _placeholders(count: int) -> str:
    return ", ".join(f"${n}" for n in range(1, count + 1))


async def save_version(conn: asyncpg.Connection, *, tariff: Tariff) -> None:
    """Insert a version, or overwrite the terms of the version with the same id."""
    await conn.execute(
        f"INSERT INTO tariff_versions ({_COLUMNS}) VALUES ({_placeholders(len(FEE_COLUMNS) + 6)}, now(), "
        f"${len(FEE_COLUMNS) + 7}) "
        "ON CONFLICT (tariff_version_id) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in [*FEE_COLUMNS.values(), "vat_rate_bp", "monthly_minimum_cents",
                                                    "monthly_cap_cents", "created_at", "created_by"]),
        tariff.tariff_version_id, tariff.partner_id, tariff.effective_from,
        *[tariff.fee(k) for k in FEE_COLUMNS], tariff.vat_rate_bp, tariff.monthly_minimum_cents,
        tariff.monthly_cap_cents, tariff.created_by,
    )
