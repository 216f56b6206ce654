"""Small rules of the model: channels, statuses, patches, request bodies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from relais_campaigns.domain.model import AgentProfile, CaseStatus, channel_for
from relais_campaigns.entrypoints.schemas import AgentPatchBody, SiteBody
from relais_campaigns.service_layer.commands import PatchAgent
from relais_platform.contracts import Channel


def test_channel_is_phone_when_there_is_a_number_unless_a_visit_is_preferred_and_possible() -> None:
    assert channel_for(has_phone=True, has_address=True, preference=None) is Channel.PHONE
    assert channel_for(has_phone=False, has_address=True, preference=None) is Channel.DOOR_TO_DOOR
    assert channel_for(has_phone=True, has_address=True, preference=Channel.DOOR_TO_DOOR) is Channel.DOOR_TO_DOOR
    assert channel_for(has_phone=True, has_address=False, preference=Channel.DOOR_TO_DOOR) is Channel.PHONE
    assert channel_for(has_phone=False, has_address=True, preference=Channel.PHONE) is Channel.DOOR_TO_DOOR


def test_closed_statuses() -> None:
    assert {s for s in CaseStatus if s.is_closed} == {CaseStatus.RESOLVED, CaseStatus.WITHDRAWN, CaseStatus.EXHAUSTED}


def test_a_patch_changes_only_what_it_names() -> None:
    profile = AgentProfile(site_id="s1", display_name="A", channels=(Channel.PHONE,), daily_capacity=5)
    patched = PatchAgent(agent_id="a", active=False, daily_capacity=2).applied_to(profile)
    assert patched == AgentProfile(site_id="s1", display_name="A", channels=(Channel.PHONE,), daily_capacity=2,
                                   active=False)


def errors_of(model, **data) -> list[tuple]:
    with pytest.raises(ValidationError) as err:
        model(**data)
    return [e["loc"] for e in err.value.errors()]


def test_patch_bodies_refuse_nulls_and_emptiness() -> None:
    assert errors_of(AgentPatchBody) == [()]
    assert errors_of(AgentPatchBody, active=None) == [()]
    assert errors_of(AgentPatchBody, daily_capacity=0) == [("daily_capacity",)]
    assert AgentPatchBody(active=False).model_fields_set == {"active"}


def test_site_bodies_check_prefixes_and_zone() -> None:
    assert errors_of(SiteBody, name="x", postcode_prefixes=["75", "2C"], time_zone="Europe/Paris") == [
        ("postcode_prefixes", 1)]
    assert errors_of(SiteBody, name="x", postcode_prefixes=[], time_zone="Europe/Paris") == [("postcode_prefixes",)]
    assert errors_of(SiteBody, name="x", postcode_prefixes=["75"], time_zone="Mars/Olympus") == [("time_zone",)]
