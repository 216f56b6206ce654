"""Deterministic identifiers shared by every service."""

from __future__ import annotations

import uuid

# Fixed namespace: changing it would change every case_id ever issued.
RELAIS_NAMESPACE = uuid.UUID("6f1c7a52-2a4e-5d7b-9a63-5b0f0c9e1d42")


def case_id_for(*, partner_id: str, campaign_id: uuid.UUID | str, external_ref: str) -> uuid.UUID:
    """case_id derived from (partner_id, campaign_id, external_ref): the same case always gets the same id."""
    return uuid.uuid5(RELAIS_NAMESPACE, f"case|{partner_id}|{campaign_id}|{external_ref}")


def derived_id(kind: str, *parts: object) -> uuid.UUID:
    """A stable id for something derived from other facts (e.g. a billing line from its evidence event)."""
    return uuid.uuid5(RELAIS_NAMESPACE, "|".join([kind, *map(str, parts)]))
