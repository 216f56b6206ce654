"""The ids of a chunk's cases and of their CaseOpened events, in the forms the hot path wants (text for JSON and
COPY): the platform's fast UUIDv5s, pinned to `case_id_for` and `derived_id` by a unit test."""

from __future__ import annotations

from relais_platform.ids import case_name, derived_name, name_id_text


def case_id_text(*, partner_id: str, campaign_id: str, external_ref: str) -> str:
    """`case_id_for(...)` as text."""
    return name_id_text(case_name(partner_id=partner_id, campaign_id=campaign_id, external_ref=external_ref))


def case_opened_event_id(case_id: str) -> str:
    """`derived_id("case-opened", case_id)` as text: the id of the CaseOpened event of a case."""
    return name_id_text(derived_name("case-opened", case_id))
