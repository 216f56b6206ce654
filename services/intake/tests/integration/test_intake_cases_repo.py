"""The cases table's own rules: a reference is "open elsewhere" only in the partner's other live campaigns, and the
campaigns and submissions its cases name are kept for good (the schema's rule since the per-case foreign keys
went)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from relais_intake.adapters.cases_repo import open_in_other_campaigns

pytestmark = pytest.mark.integration


async def _open(client, as_, campaign: dict, refs: list[str], case, partner: str = "acme") -> None:
    r = await client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases", json={"cases": [case(x) for x in refs]},
                          headers=as_("partner", partner_id=partner))
    assert r.status_code == 200 and r.json()["accepted"] == len(refs), r.text


async def test_open_elsewhere_means_open_in_another_active_or_paused_campaign_of_the_partner(
        intake_client, intake_as, intake_campaign, intake_case, intake_pool) -> None:
    mine, paused, closed = [await intake_campaign() for _ in range(3)]
    theirs = await intake_campaign(partner_id="zeta")
    await _open(intake_client, intake_as, paused, ["R1", "R2"], intake_case)
    await _open(intake_client, intake_as, closed, ["R3"], intake_case)
    await _open(intake_client, intake_as, theirs, ["R4"], intake_case, partner="zeta")
    for campaign, action in ((paused, "pause"), (closed, "close")):
        r = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/{action}", headers=intake_as("admin"))
        assert r.status_code == 200, r.text
    await intake_pool.execute("UPDATE cases SET status = 'recalled' WHERE external_ref = 'R2'")
    async with intake_pool.acquire() as conn:
        found = await open_in_other_campaigns(conn=conn, partner_id="acme", campaign_id=uuid.UUID(mine["campaign_id"]),
                                              refs=["R1", "R2", "R3", "R4", "R5"])
        assert found == {"R1": paused["campaign_id"]}
        assert await open_in_other_campaigns(conn=conn, partner_id="acme",
                                             campaign_id=uuid.UUID(paused["campaign_id"]), refs=["R1"]) == {}


async def test_campaigns_and_submissions_are_never_deleted_nor_renumbered(
        intake_client, intake_as, intake_campaign, intake_case, intake_pool) -> None:
    campaign = await intake_campaign()
    await _open(intake_client, intake_as, campaign, ["K1"], intake_case)
    for statement in ("DELETE FROM campaigns", "DELETE FROM submissions",
                      "UPDATE campaigns SET campaign_id = gen_random_uuid()",
                      "UPDATE submissions SET submission_id = gen_random_uuid()"):
        with pytest.raises(asyncpg.RestrictViolationError, match="kept for good"):
            await intake_pool.execute(statement)
    assert await intake_pool.fetchval("SELECT count(*) FROM cases c JOIN campaigns USING (campaign_id) "
                                      "JOIN submissions USING (submission_id)") == 1
