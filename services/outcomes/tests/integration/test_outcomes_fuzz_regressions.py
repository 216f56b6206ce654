"""Requests the API fuzz suite (tests/contract/test_api_fuzz.py) found answering 500, now a 422 naming the field."""

from __future__ import annotations

import csv
import uuid

import pytest

pytestmark = pytest.mark.integration
DEFAULT_CSV_FIELD_LIMIT = 131_072


async def test_a_huge_instalment_with_an_idempotency_key(outcomes_client, outcomes_as) -> None:
    # was: 500, the Idempotency-Key hash (orjson) cannot write an integer beyond 64 bits, and `Cents` has no bound
    raw = ('{"type": "payment_plan", "payment_plan": {"instalments": 2, "first_due_date": "2026-12-01", '
           '"instalment_amounts_cents": [1000, 123456789012345678901234567890]}}')
    response = await outcomes_client.post(
        f"/v1/cases/{uuid.uuid4()}/outcome", content=raw,
        headers={**outcomes_as("agent"), "content-type": "application/json", "Idempotency-Key": "k-1"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "payment_plan.instalment_amounts_cents.1"


@pytest.mark.parametrize("content", [
    "öo\r«\x9b\x13¦¾Y÷".encode(),  # a bare CR inside an unquoted field
    b"date,amount,reference\n2026-04-30,12," + b"x" * 200_000 + b"\n",  # beyond the csv module's field limit
])
async def test_an_unreadable_bank_statement(outcomes_client, outcomes_as, content: bytes) -> None:
    # was: 500, csv.Error escaped the parser
    limit = csv.field_size_limit(DEFAULT_CSV_FIELD_LIMIT)  # other code of the process may have raised it
    try:
        response = await outcomes_client.post("/v1/partners/acme/remittances/import", content=content,
                                              headers={**outcomes_as("finance"), "content-type": "text/csv"})
    finally:
        csv.field_size_limit(limit)
    assert response.status_code == 422, response.text
    assert response.json()["field"] in ("body", "date")


@pytest.mark.parametrize("period", ["0000-01", "9999-12"])
async def test_a_month_out_of_the_calendar(outcomes_client, outcomes_as, outcomes_tariff, period: str) -> None:
    # was: 500, `0000-01` and `9999-12` matched the pattern but have no first or last day in Python's calendar
    await outcomes_tariff("2026-01-01", case_closed_cents=4500)
    response = await outcomes_client.get(f"/v1/partners/acme/statements/{period}", headers=outcomes_as("finance"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "period"
