"""Remittances (JSON and bank statement CSV), reconciliation with explained matches, disputes, and the
roles of each route, against the real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from relais_outcomes.domain.calendar import billing_date
from relais_platform.contracts import OutcomeType

pytestmark = pytest.mark.integration

FEES = {"case_closed_cents": 4000, "successful_contact_cents": 1000}
YEAR = billing_date(datetime.now(UTC)).year
TODAY = billing_date(datetime.now(UTC))


def at(day: int, month: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@pytest.fixture
async def two_invoices(outcomes_world, outcomes_tariff, outcomes_client, outcomes_as) -> list[dict]:
    """acme: March 6000 TTC (5000 net) and April 1200 TTC (1000 net), both finalised today."""
    await outcomes_tariff("2026-01-01", **FEES)
    w = outcomes_world
    a, b = w.opened("P-1"), w.opened("P-2")
    await w.feed(a, b, w.attempt(a, at(3, 3)), w.resolved(a, at(4, 3), OutcomeType.PAID), w.attempt(b, at(2, 4)))
    out = []
    for period in ("2026-03", "2026-04"):
        r = await outcomes_client.post(f"/v1/partners/acme/statements/{period}/finalize",
                                       headers=outcomes_as("finance"))
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


async def pay(client, headers, partner: str = "acme", **body):
    body = {"received_on": TODAY.isoformat(), **body}
    return await client.post(f"/v1/partners/{partner}/remittances", json=body, headers=headers)


async def recon(client, headers, partner: str = "acme", **params):
    r = await client.get(f"/v1/partners/{partner}/reconciliation", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_matching_by_reference_then_exact_amount_then_oldest_first(outcomes_client, outcomes_as,
                                                                         two_invoices) -> None:
    finance = outcomes_as("finance")
    march, april = (i["number"] for i in two_invoices)
    assert (march, april) == (f"REL-{YEAR}-000001", f"REL-{YEAR}-000002")
    assert (await pay(outcomes_client, finance, amount_cents=500, bank_reference="VIR-1",
                      invoice_numbers=[april])).status_code == 201
    assert (await pay(outcomes_client, finance, amount_cents=700, bank_reference="VIR-2")).status_code == 201
    body = await recon(outcomes_client, finance)
    by_number = {i["number"]: i for i in body["invoices"]}
    assert [m["rule"] for m in by_number[april]["matches"]] == ["explicit_reference", "exact_amount"]
    assert by_number[april]["outstanding_cents"] == 0 and by_number[march]["outstanding_cents"] == 6000
    assert all(m["explanation"] for m in by_number[april]["matches"])

    r = await outcomes_client.post("/v1/partners/acme/remittances/import", headers={**finance,
                                   "content-type": "text/csv"},
                                   content=f"date;amount;reference\n{TODAY:%d/%m/%Y};\"61,00 €\";VIR-3\n")
    assert r.status_code == 201 and r.json() == {"imported": 1, "already_recorded": 0}
    body = await recon(outcomes_client, finance)
    by_number = {i["number"]: i for i in body["invoices"]}
    assert by_number[march]["matches"][0]["rule"] == "oldest_first" and by_number[march]["paid_cents"] == 6000
    assert [(o["bank_reference"], o["amount_cents"]) for o in body["overpayments"]] == [("VIR-3", 100)]
    assert body["totals"] == {"billed_cents": 7200, "credited_cents": 0, "paid_cents": 7200, "outstanding_cents": 0}


async def test_partial_payment_credit_note_and_days_overdue(outcomes_client, outcomes_as, two_invoices) -> None:
    finance = outcomes_as("finance")
    march = two_invoices[0]
    await outcomes_client.post(f"/v1/invoices/{march['number']}/credit-notes", headers=finance,
                               json={"reason": "geste", "net_cents": 1000})
    await pay(outcomes_client, finance, amount_cents=2000, bank_reference=f"payment {march['number']}")
    late = TODAY.fromordinal(TODAY.toordinal() + 40).isoformat()
    body = await recon(outcomes_client, finance, as_of=late)
    row = next(i for i in body["invoices"] if i["number"] == march["number"])
    assert (row["billed_cents"], row["credited_cents"], row["paid_cents"], row["outstanding_cents"]) == (
        6000, 1200, 2000, 2800)
    assert row["days_overdue"] == 10 and row["matches"][0]["rule"] == "explicit_reference"


async def test_a_payment_with_no_invoice_to_pay_is_unmatched(outcomes_client, outcomes_as, outcomes_world) -> None:
    await outcomes_world.feed(outcomes_world.opened("U-1", partner_id="lonely"))
    finance = outcomes_as("finance")
    r = await pay(outcomes_client, finance, partner="lonely", amount_cents=999, bank_reference="X",
                  invoice_numbers=["REL-2026-000077"])
    assert r.status_code == 201
    body = await recon(outcomes_client, finance, partner="lonely")
    (unmatched,) = body["unmatched_payments"]
    assert unmatched["amount_cents"] == 999 and "REL-2026-000077" in unmatched["explanation"]


async def test_remittance_bad_input_duplicates_and_import_errors(outcomes_client, outcomes_as, two_invoices) -> None:
    finance = outcomes_as("finance")
    cases = [({"amount_cents": 0, "bank_reference": "A"}, "amount_cents"),
             ({"amount_cents": "10", "bank_reference": "A"}, "amount_cents"),
             ({"amount_cents": 10, "bank_reference": ""}, "bank_reference"),
             ({"amount_cents": 10, "bank_reference": "A", "invoice_numbers": ["nope"]}, "invoice_numbers.0"),
             ({"amount_cents": 10, "bank_reference": "A", "received_on": "30/04/2026"}, "received_on"),
             ({"amount_cents": 10, "bank_reference": "A", "x": 1}, "x")]
    for body, field in cases:
        r = await pay(outcomes_client, finance, **body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (body, r.text)
    assert (await pay(outcomes_client, finance, amount_cents=10, bank_reference="DUP")).status_code == 201
    r = await pay(outcomes_client, finance, amount_cents=10, bank_reference="DUP")
    assert r.status_code == 409 and r.json()["remittance_id"]
    assert (await pay(outcomes_client, finance, partner="nobody", amount_cents=1,
                      bank_reference="Z")).status_code == 404
    url, csv_headers = "/v1/partners/acme/remittances/import", {**finance, "content-type": "text/csv"}
    for text, field in [("date,amount\n2026-04-01,10\n", "reference"),
                        ("date,amount,reference\n2026-04-01,-10,R\n", "line 2.amount"),
                        ("date,amount,reference\n2026-04-01,10,R\nnope,10,S\n", "line 3.date"),
                        ("date,amount,reference\n", "body")]:
        r = await outcomes_client.post(url, headers=csv_headers, content=text)
        assert r.status_code == 422 and r.json()["field"] == field, (text, r.text)
    text = "date,amount,reference\n2026-04-01,10,DUP\n2026-04-02,\"1 000,50\",NEW\n"
    r = await outcomes_client.post(url, headers=csv_headers, content=text)
    assert r.json() == {"imported": 1, "already_recorded": 1}
    assert (await outcomes_client.post(url, headers=csv_headers, content=text)).json() == {
        "imported": 0, "already_recorded": 2}


async def test_a_dispute_ends_in_a_credit_note_or_a_rejection(outcomes_client, outcomes_as, two_invoices) -> None:
    march = two_invoices[0]
    line = next(x for x in march["lines"] if x["kind"] == "successful_contact")
    url = f"/v1/invoices/{march['number']}/disputes"
    r = await outcomes_client.post(url, headers=outcomes_as("partner"), json={"line_id": line["line_id"],
                                                                           "reason": "jamais joint"})
    assert r.status_code == 201 and r.json()["status"] == "open"
    first = r.json()["dispute_id"]
    r = await outcomes_client.post(url, headers=outcomes_as("partner"), json={"line_id": str(uuid.uuid4()),
                                                                           "reason": "pas sur cette facture"})
    assert r.status_code == 422 and "line_id" in r.text, r.text
    r = await outcomes_client.post(url, headers=outcomes_as("partner"), json={"reason": "trop cher"})
    assert r.status_code == 201, r.text
    second = r.json()["dispute_id"]
    finance = outcomes_as("finance")
    r = await outcomes_client.post(f"/v1/disputes/{first}/resolution", headers=finance,
                                   json={"decision": "credit", "reason": "appel non abouti"})
    assert r.status_code == 200 and r.json()["status"] == "credited"
    assert r.json()["credit_note_number"] == f"AVO-{YEAR}-000001"
    r = await outcomes_client.post(f"/v1/disputes/{second}/resolution", headers=finance,
                                   json={"decision": "reject", "reason": "tarif contractuel"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["resolution_reason"]) == ("rejected",
                                                                                           "tarif contractuel")
    r = await outcomes_client.post(f"/v1/disputes/{second}/resolution", headers=finance,
                                   json={"decision": "reject", "reason": "again"})
    assert r.status_code == 409
    invoice = (await outcomes_client.get(f"/v1/invoices/{march['number']}", headers=finance)).json()
    assert invoice["credit_notes"][0]["line_ids"] == [line["line_id"]] and invoice["credited_cents"] == 1200
    listed = (await outcomes_client.get(url, headers=outcomes_as("partner"))).json()
    assert [d["status"] for d in listed] == ["credited", "rejected"]
    r = await outcomes_client.post(url, headers=outcomes_as("partner"), json={"line_id": str(uuid.uuid4()),
                                                                           "reason": "x"})
    assert r.status_code == 422 and r.json()["field"] == "line_id"
    r = await outcomes_client.post(f"/v1/disputes/{uuid.uuid4()}/resolution", headers=finance,
                                   json={"decision": "reject", "reason": "x"})
    assert r.status_code == 404


@pytest.mark.parametrize(("role", "scope", "read", "write", "dispute"), [
    ("finance", {}, 200, 201, 201), ("admin", {}, 200, 201, 201), ("partner", {}, 200, 403, 201),
    ("partner", {"partner_id": "other"}, 404, 403, 404), ("agent", {}, 403, 403, 403),
    ("supervisor", {}, 403, 403, 403)])
async def test_every_payment_route_for_every_role(outcomes_client, outcomes_as, two_invoices, role, scope, read,
                                                  write, dispute) -> None:
    headers, number = outcomes_as(role, **scope), two_invoices[0]["number"]
    assert (await outcomes_client.get("/v1/partners/acme/reconciliation", headers=headers)).status_code == read
    assert (await outcomes_client.get(f"/v1/invoices/{number}/disputes", headers=headers)).status_code == read
    assert (await pay(outcomes_client, headers, amount_cents=1, bank_reference=f"R-{role}")).status_code == write
    r = await outcomes_client.post("/v1/partners/acme/remittances/import", content="date,amount,reference\n"
                                   f"2026-04-01,1,CSV-{role}\n", headers={**headers, "content-type": "text/csv"})
    assert r.status_code == write
    r = await outcomes_client.post(f"/v1/invoices/{number}/disputes", json={"reason": "x"}, headers=headers)
    assert r.status_code == dispute
    r = await outcomes_client.post(f"/v1/disputes/{uuid.uuid4()}/resolution", headers=headers,
                                   json={"decision": "reject", "reason": "x"})
    assert r.status_code == (404 if write == 201 else 403)
