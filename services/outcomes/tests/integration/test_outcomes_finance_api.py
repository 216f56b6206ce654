"""PUT /v1/partners/{partner_id}/tariff and GET /v1/partners/{partner_id}/statements/{period}: roles,
validation, effective dating, replacement rules and statement totals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relais_platform.contracts import Channel

pytestmark = pytest.mark.integration

FEES = {"case_closed_cents": 4500, "successful_contact_cents": 1200, "visit_cents": 2500,
        "payment_plan_cents": 1500, "referral_taken_up_cents": 2000}
BODY = {"effective_from": "2026-03-01", "vat_rate_bp": 2000, "fees": FEES}


async def put(client, headers, body=BODY, partner_id: str = "acme"):
    return await client.put(f"/v1/partners/{partner_id}/tariff", json=body, headers=headers)


@pytest.mark.parametrize(("role", "status"), [("finance", 201), ("admin", 201), ("partner", 403), ("agent", 403),
                                              ("supervisor", 403)])
async def test_who_may_set_a_tariff(outcomes_client, outcomes_as, role, status) -> None:
    assert (await put(outcomes_client, outcomes_as(role))).status_code == status


async def test_a_tariff_answers_with_every_version(outcomes_client, outcomes_as) -> None:
    first = await put(outcomes_client, outcomes_as("finance"))
    assert first.status_code == 201
    second = await put(outcomes_client, outcomes_as("admin"),
                       {"effective_from": "2026-03-15", "vat_rate_bp": 550, "fees": {"visit_cents": 3000},
                        "monthly_minimum_cents": 10000, "monthly_cap_cents": 500000})
    assert second.status_code == 201
    body = second.json()
    assert body["partner_id"] == "acme"
    assert [v["effective_from"] for v in body["versions"]] == ["2026-03-01", "2026-03-15"]
    v1, v2 = body["versions"]
    assert v1["fees"] == FEES and v1["vat_rate_bp"] == 2000 and v1["lines_priced"] == 0
    assert v2["fees"] == {**dict.fromkeys(FEES, 0), "visit_cents": 3000}
    assert (v2["monthly_minimum_cents"], v2["monthly_cap_cents"], v2["created_by"]) == (10000, 500000, "test-admin")


async def test_an_unused_version_can_be_replaced_and_identical_terms_change_nothing(outcomes_client,
                                                                                    outcomes_as) -> None:
    created = (await put(outcomes_client, outcomes_as("finance"))).json()["versions"][0]
    replaced = await put(outcomes_client, outcomes_as("finance"), {**BODY, "vat_rate_bp": 0})
    assert replaced.status_code == 200
    (version,) = replaced.json()["versions"]
    assert version["tariff_version_id"] == created["tariff_version_id"] and version["vat_rate_bp"] == 0
    same = await put(outcomes_client, outcomes_as("finance"), {**BODY, "vat_rate_bp": 0})
    assert same.status_code == 200 and same.json()["versions"] == [version]


async def test_a_version_that_priced_lines_cannot_be_replaced(outcomes_client, outcomes_as, outcomes_world) -> None:
    assert (await put(outcomes_client, outcomes_as("finance"))).status_code == 201
    opened = outcomes_world.opened("R-1")
    await outcomes_world.feed(opened, outcomes_world.attempt(opened, datetime(2026, 3, 5, 9, tzinfo=UTC)))
    r = await put(outcomes_client, outcomes_as("finance"), {**BODY, "fees": {**FEES, "case_closed_cents": 1}})
    assert r.status_code == 409 and r.json()["field"] == "effective_from"
    assert "already priced 1 billing lines" in r.json()["detail"]
    same = await put(outcomes_client, outcomes_as("finance"))
    assert same.status_code == 200 and same.json()["versions"][0]["lines_priced"] == 1
    later = await put(outcomes_client, outcomes_as("finance"), {**BODY, "effective_from": "2026-04-01"})
    assert later.status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({**BODY, "vat_rate_bp": 10001}, "vat_rate_bp"),
    ({**BODY, "vat_rate_bp": -1}, "vat_rate_bp"),
    ({**BODY, "vat_rate_bp": "2000"}, "vat_rate_bp"),
    ({"effective_from": "2026-03-01", "fees": FEES}, "vat_rate_bp"),
    ({**BODY, "effective_from": "1 mars"}, "effective_from"),
    ({**BODY, "fees": {**FEES, "visit_cents": -5}}, "fees.visit_cents"),
    ({**BODY, "fees": {**FEES, "visit_cents": 25.5}}, "fees.visit_cents"),
    ({**BODY, "fees": {"coffee_cents": 100}}, "fees.coffee_cents"),
    ({**BODY, "monthly_minimum_cents": 5000, "monthly_cap_cents": 4999}, "monthly_cap_cents"),
    ({**BODY, "monthly_minimum_cents": -1}, "monthly_minimum_cents"),
    ({**BODY, "currency": "EUR"}, "currency"),
])
async def test_bad_tariffs_are_422_naming_the_field(outcomes_client, outcomes_as, body, field) -> None:
    r = await put(outcomes_client, outcomes_as("finance"), body)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("partner_id", ["ACME", "-acme", "a" * 65, "ac me"])
async def test_a_bad_partner_id_is_422(outcomes_client, outcomes_as, partner_id) -> None:
    r = await put(outcomes_client, outcomes_as("finance"), partner_id=partner_id)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partner_id"


async def statement(client, headers, period: str = "2026-03", partner_id: str = "acme"):
    return await client.get(f"/v1/partners/{partner_id}/statements/{period}", headers=headers)


@pytest.mark.parametrize(("role", "scope", "status"), [
    ("finance", {}, 200), ("admin", {}, 200), ("partner", {"partner_id": "acme"}, 200),
    ("partner", {"partner_id": "other"}, 404), ("agent", {"agent_id": "agent-1"}, 403),
    ("supervisor", {"site_id": "site-1"}, 403),
])
async def test_who_may_read_a_statement(outcomes_client, outcomes_as, role, scope, status) -> None:
    await put(outcomes_client, outcomes_as("finance"))
    assert (await statement(outcomes_client, outcomes_as(role, **scope))).status_code == status


async def test_a_partner_outcomes_never_heard_of_is_404(outcomes_client, outcomes_as) -> None:
    r = await statement(outcomes_client, outcomes_as("finance"), partner_id="nobody")
    assert r.status_code == 404 and r.json()["field"] == "partner_id"


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "2026-00", "26-03", "2026-03-01", "march"])
async def test_a_bad_period_is_422_naming_it(outcomes_client, outcomes_as, period) -> None:
    await put(outcomes_client, outcomes_as("finance"))
    r = await statement(outcomes_client, outcomes_as("finance"), period=period)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "period"


async def test_an_empty_month_has_the_minimum_and_its_vat(outcomes_client, outcomes_as) -> None:
    await put(outcomes_client, outcomes_as("finance"), {**BODY, "monthly_minimum_cents": 10000})
    s = (await statement(outcomes_client, outcomes_as("finance"))).json()
    assert (s["status"], s["currency"], s["lines"]) == ("draft", "EUR", [])
    assert s["counts_by_kind"] == dict.fromkeys(["case_closed", "successful_contact", "visit", "payment_plan",
                                                 "referral_taken_up"], 0)
    assert s["adjustment"] == {"kind": "monthly_minimum", "amount_cents": 10000}
    assert (s["subtotal_cents"], s["adjustment_cents"], s["net_cents"], s["vat_cents"], s["total_cents"]) == (
        0, 10000, 10000, 2000, 12000)
    before = (await statement(outcomes_client, outcomes_as("finance"), period="2026-02")).json()
    assert (before["tariff_version_id"], before["vat_rate_bp"], before["total_cents"]) == (None, 0, 0)


async def test_the_cap_brings_a_busy_month_down(outcomes_client, outcomes_as, outcomes_world) -> None:
    await put(outcomes_client, outcomes_as("finance"), {**BODY, "monthly_cap_cents": 5000})
    opened = outcomes_world.opened("R-1")
    visits = [outcomes_world.attempt(opened, datetime(2026, 3, d, 9, tzinfo=UTC), channel=Channel.DOOR_TO_DOOR)
              for d in (2, 3, 4)]
    await outcomes_world.feed(opened, *visits)
    s = (await statement(outcomes_client, outcomes_as("partner"))).json()
    assert s["counts_by_kind"] == {"case_closed": 0, "successful_contact": 3, "visit": 3, "payment_plan": 0,
                                   "referral_taken_up": 0}
    assert (s["subtotal_cents"], s["adjustment_cents"], s["net_cents"], s["vat_cents"], s["total_cents"]) == (
        11100, -6100, 5000, 1000, 6000)
    assert s["adjustment"]["kind"] == "monthly_cap"


async def test_vat_is_the_rate_in_force_at_the_end_of_the_month(outcomes_client, outcomes_as,
                                                                outcomes_world) -> None:
    await put(outcomes_client, outcomes_as("finance"), {**BODY, "vat_rate_bp": 2000})
    opened = outcomes_world.opened("R-1")
    await outcomes_world.feed(opened, outcomes_world.attempt(opened, datetime(2026, 3, 2, 9, tzinfo=UTC)))
    await put(outcomes_client, outcomes_as("finance"),
              {**BODY, "effective_from": "2026-03-31", "vat_rate_bp": 1000, "fees": {}})
    s = (await statement(outcomes_client, outcomes_as("finance"))).json()
    assert [line["amount_cents"] for line in s["lines"]] == [1200]
    assert (s["vat_rate_bp"], s["vat_cents"], s["total_cents"]) == (1000, 120, 1320)
