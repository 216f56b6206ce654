"""A raw case record a partner produced to relais.intake.submissions.v1 with its own Kafka client: JSON, key =
its external_ref, partner and campaign in the headers `relais-partner-id` / `relais-campaign-id` or in the body."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PARTNER_HEADER = "relais-partner-id"
CAMPAIGN_HEADER = "relais-campaign-id"
_PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # the contracts' Slug: 1-64 of a-z 0-9 _ -


def is_partner_id(text: str | None) -> bool:
    """Whether `text` is a whole valid partner id (no trailing newline, unlike a `$`-anchored match)."""
    return text is not None and _PARTNER_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """A record addressed to a campaign, its case fields as sent (routing fields removed)."""

    partner_id: str
    campaign_id: uuid.UUID
    case: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UnroutableRecord:
    """A record that names no valid partner or campaign, or is no JSON object; `partner_id` when one was given."""

    partner_id: str | None
    field: str
    code: str
    reason: str
    raw: dict[str, Any]
    external_ref: str | None


def read_record(key: bytes | None, value: bytes | None,
                headers: Sequence[tuple[str, bytes]]) -> PartnerRecord | UnroutableRecord:
    """Decode and route one record; never raises."""
    named = {k.lower(): v.decode("utf-8", "replace").strip() for k, v in headers or () if v is not None}
    ref = key.decode("utf-8", "replace").strip() if key else None
    try:
        body = json.loads(value) if value else None
    except (ValueError, UnicodeDecodeError):
        body = None
    partner_hint = named.get(PARTNER_HEADER) if is_partner_id(named.get(PARTNER_HEADER)) else None
    if not isinstance(body, dict):
        text = (value or b"")[:2000].decode("utf-8", "replace")
        return UnroutableRecord(partner_hint, "record", "invalid_json", "the record value must be a JSON object "
                                "with the case's fields", {"value": text}, ref)
    case = dict(body)
    partner_id = str(case.pop("partner_id", None) or partner_hint or "")
    campaign_text = str(case.pop("campaign_id", None) or named.get(CAMPAIGN_HEADER) or "")
    if ref and case.get("external_ref") in (None, ""):
        case["external_ref"] = ref
    ref = str(case.get("external_ref")) if case.get("external_ref") not in (None, "") else ref
    if not is_partner_id(partner_id):
        return UnroutableRecord(None, "partner_id", "partner_unknown", "no valid partner id in the header "
                                f"{PARTNER_HEADER} or the body", body, ref)
    try:
        campaign_id = uuid.UUID(campaign_text)
    except ValueError:
        return UnroutableRecord(partner_id, "campaign_id", "campaign_unknown", "no valid campaign id (a UUID) in the "
                                f"header {CAMPAIGN_HEADER} or the body", body, ref)
    return PartnerRecord(partner_id, campaign_id, case)
