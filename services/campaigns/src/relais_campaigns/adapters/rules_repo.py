"""Per-partner contact-rule overrides in PostgreSQL, and the attempt history the rules judge."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
from typing import Any

import asyncpg
import orjson

from relais_campaigns.domain.contact_rules import ContactPolicy, PastAttempt
from relais_platform.contracts import AttemptResult, Channel

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _windows(raw: list[dict[str, str]]) -> tuple[tuple[time, time], ...]:
    return tuple((time.fromisoformat(w["start"]), time.fromisoformat(w["end"])) for w in raw)


def _days(raw: list[str]) -> frozenset[int]:
    return frozenset(DAY_NAMES.index(d) for d in raw)


_CONVERT: dict[str, tuple[str, Any]] = {
    "phone_windows": ("phone_windows", _windows),
    "visit_windows": ("visit_windows", _windows),
    "phone_days": ("phone_days", _days),
    "visit_days": ("visit_days", _days),
    "max_attempts": ("max_attempts", int),
    "attempts_period_days": ("attempts_period", lambda d: timedelta(days=d)),
    "refusal_cooldown_days": ("refusal_cooldown", lambda d: timedelta(days=d)),
    "min_gap_minutes": ("min_gap", lambda m: timedelta(minutes=m)),
    "escalate_after_failed_calls": ("escalate_after_failed_calls", int),
}


def policy_of(overrides: dict[str, Any]) -> ContactPolicy:
    """The network's defaults with a contract's overrides applied (ValueError when they contradict)."""
    changes = {_CONVERT[k][0]: _CONVERT[k][1](v) for k, v in overrides.items() if v is not None}
    return replace(ContactPolicy(), **changes)


def overrides_of(policy: ContactPolicy) -> dict[str, Any]:
    """Every limit of a policy, in the API's vocabulary."""
    def windows(ws: tuple[tuple[time, time], ...]) -> list[dict[str, str]]:
        return [{"start": s.isoformat("minutes"), "end": e.isoformat("minutes")} for s, e in sorted(ws)]
    return {"phone_windows": windows(policy.phone_windows), "visit_windows": windows(policy.visit_windows),
            "phone_days": [DAY_NAMES[d] for d in sorted(policy.phone_days)],
            "visit_days": [DAY_NAMES[d] for d in sorted(policy.visit_days)],
            "max_attempts": policy.max_attempts, "attempts_period_days": policy.attempts_period.days,
            "refusal_cooldown_days": policy.refusal_cooldown.days,
            "min_gap_minutes": int(policy.min_gap.total_seconds() // 60),
            "escalate_after_failed_calls": policy.escalate_after_failed_calls}


async def overrides_for(conn: asyncpg.Connection, *, partner_id: str) -> dict[str, Any]:
    """The partner's overrides ({} when its contract keeps the defaults)."""
    raw = await conn.fetchval("SELECT overrides FROM contact_policies WHERE partner_id = $1", partner_id)
    return orjson.loads(raw) if raw else {}


async def policies_for(conn: asyncpg.Connection, *, partner_ids: list[str]) -> dict[str, ContactPolicy]:
    """The effective policy of each partner."""
    rows = await conn.fetch("SELECT partner_id, overrides FROM contact_policies WHERE partner_id = ANY($1::text[])",
                            partner_ids)
    found = {r["partner_id"]: policy_of(orjson.loads(r["overrides"])) for r in rows}
    return {p: found.get(p, ContactPolicy()) for p in partner_ids}


async def contract_policies(conn: asyncpg.Connection) -> dict[str, ContactPolicy]:
    """The effective policy of every partner whose contract overrides the defaults."""
    rows = await conn.fetch("SELECT partner_id, overrides FROM contact_policies")
    return {r["partner_id"]: policy_of(orjson.loads(r["overrides"])) for r in rows}


async def put_overrides(conn: asyncpg.Connection, *, partner_id: str, overrides: dict[str, Any], by: str) -> None:
    """Replace the partner's overrides."""
    await conn.execute(
        "INSERT INTO contact_policies (partner_id, overrides, updated_by) VALUES ($1, $2::jsonb, $3) "
        "ON CONFLICT (partner_id) DO UPDATE SET overrides = EXCLUDED.overrides, updated_by = EXCLUDED.updated_by, "
        "updated_at = now()", partner_id, orjson.dumps(overrides).decode(), by)


async def lock_person(conn: asyncpg.Connection, *, person_key: str) -> None:
    """Until commit: one attempt at a time per person, whichever of their cases it is on (two agents working
    two cases of one person must not both pass the gate on the same history)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('campaigns.person:' || $1, 0))", person_key)


async def history(conn: asyncpg.Connection, *, person_key: str) -> tuple[PastAttempt, ...]:
    """Every attempt on the person, across all their cases, oldest first."""
    return (await histories(conn, person_keys=[person_key]))[person_key]


async def histories(conn: asyncpg.Connection, *, person_keys: list[str]) -> dict[str, tuple[PastAttempt, ...]]:
    """The attempts of many people at once (each across all their cases), oldest first."""
    rows = await conn.fetch("SELECT person_key, case_id, attempted_at, result, channel FROM attempts "
                            "WHERE person_key = ANY($1::text[]) ORDER BY attempted_at, recorded_at", person_keys)
    found: dict[str, list[PastAttempt]] = {}
    for r in rows:
        found.setdefault(r["person_key"], []).append(PastAttempt(
            attempted_at=r["attempted_at"], result=AttemptResult(r["result"]), channel=Channel(r["channel"]),
            case_id=r["case_id"]))
    return {k: tuple(found.get(k, ())) for k in person_keys}
