"""A month of work for two partners through the running services, then finance closes it: finalise
(an admin forces the current month before its grace period ends), read the PDF's totals, export the CSV,
record a partial payment, issue a credit note, and read the outstanding amount in the reconciliation."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pypdf
import pytest

from relais_outcomes.domain.exports import euros
from relais_platform.testing import auth_header
from tests.e2e.conftest import INTAKE, OUTCOMES, TARIFF, Actors, current_period, eventually, fresh_mobile

pytestmark = pytest.mark.e2e


async def _partner(http: httpx.AsyncClient, a: Actors) -> tuple[str, dict[str, str]]:
    partner_id = f"e2e-fin-{uuid.uuid4().hex[:8]}"
    r = await http.put(f"{OUTCOMES}/v1/partners/{partner_id}/tariff", headers=a.finance, json=TARIFF)
    assert r.status_code == 201, r.text
    return partner_id, auth_header("partner", partner_id=partner_id)


async def _work_one_month(http: httpx.AsyncClient, a: Actors, partner: dict[str, str], n_cases: int) -> list[str]:
    """The partner submits cases; the agent records each one paid (no call attempt: those depend on the hour)."""
    r = await http.post(f"{INTAKE}/v1/campaigns", headers=partner, json={
        "name": "Relance e2e finance", "starts_on": "2026-01-01", "ends_on": "2027-12-31",
        "legal_basis": "Convention de partenariat, art. 4"})
    assert r.status_code == 201, r.text
    cases = [{"external_ref": f"F-{n}", "first_name": "Lou", "last_name": f"Martin{n}", "phone": fresh_mobile(),
              "amount_due": "120,00", "address": {"line1": "1 quai des Chartrons", "postcode": "33000",
                                                  "city": "Bordeaux"}} for n in range(n_cases)]
    r = await http.post(f"{INTAKE}/v1/campaigns/{r.json()['campaign_id']}/cases", headers=partner,
                        json={"cases": cases})
    assert r.status_code == 200 and r.json()["accepted"] == n_cases, r.text
    case_ids = [x["case_id"] for x in r.json()["results"]]
    for case_id in case_ids:
        async def outcome(case_id: str = case_id) -> httpx.Response | None:
            resp = await http.post(f"{OUTCOMES}/v1/cases/{case_id}/outcome", headers=a.agent, json={"type": "paid"})
            return resp if resp.status_code != 404 else None

        assert (await eventually(outcome, what="outcomes to know the holder")).status_code == 201
    return case_ids


async def _statement_with(http: httpx.AsyncClient, a: Actors, partner_id: str, n_lines: int) -> dict:
    async def probe() -> dict | None:
        r = await http.get(f"{OUTCOMES}/v1/partners/{partner_id}/statements/{current_period()}", headers=a.finance)
        return r.json() if r.status_code == 200 and len(r.json()["lines"]) == n_lines else None

    return await eventually(probe, what=f"{n_lines} billing lines for {partner_id}")


async def test_a_month_for_two_partners_is_invoiced_paid_credited_and_reconciled(e2e_http: httpx.AsyncClient,
                                                                                  actors: Actors) -> None:
    http, a = e2e_http, actors
    (p1, h1), (p2, h2) = await _partner(http, a), await _partner(http, a)
    await _work_one_month(http, a, h1, 2)
    await _work_one_month(http, a, h2, 1)
    s1 = await _statement_with(http, a, p1, 2)  # 2 closures at 45.00 = 90.00 HT
    s2 = await _statement_with(http, a, p2, 1)
    assert (s1["net_cents"], s1["vat_cents"], s1["total_cents"]) == (9000, 1800, 10800)
    assert s2["total_cents"] == 5400

    url = f"{OUTCOMES}/v1/partners/{p1}/statements/{current_period()}/finalize"
    assert (await http.post(url, headers=a.finance)).status_code == 409  # the grace period is not over
    assert (await http.post(url, headers=h1)).status_code == 403
    r = await http.post(url, headers=a.admin, json={"force": True})
    assert r.status_code == 201, r.text
    inv1 = r.json()
    r = await http.post(f"{OUTCOMES}/v1/partners/{p2}/statements/{current_period()}/finalize", headers=a.admin,
                        json={"force": True})
    assert r.status_code == 201, r.text
    inv2 = r.json()
    year = inv1["issue_date"][:4]
    assert inv1["number"].startswith(f"REL-{year}-") and inv2["number"] > inv1["number"]
    assert inv1["total_cents"] == 10800 and inv2["total_cents"] == 5400

    pdf = await http.get(f"{OUTCOMES}/v1/invoices/{inv1['number']}.pdf", headers=h1)
    assert pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (inv1["number"], f"Client : {p1}", f"Total HT {euros(9000)} EUR",
                     f"TVA 20,00 % {euros(1800)} EUR", f"Total TTC {euros(10800)} EUR"):
        assert expected in text
    assert (await http.get(f"{OUTCOMES}/v1/invoices/{inv1['number']}.pdf", headers=h2)).status_code == 404
    rows = list(csv.DictReader(io.StringIO((await http.get(f"{OUTCOMES}/v1/invoices/{inv1['number']}.csv",
                                                           headers=a.finance)).text)))
    assert len(rows) == 2 and sum(int(x["amount_cents"]) for x in rows) == 9000
    assert all(x["evidence_event_ids"] and x["case_id"] for x in rows)

    r = await http.post(f"{OUTCOMES}/v1/partners/{p1}/remittances", headers=a.finance, json={
        "amount_cents": 5000, "received_on": inv1["issue_date"], "bank_reference": f"VIR {inv1['number']}"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{OUTCOMES}/v1/invoices/{inv1['number']}/credit-notes", headers=a.finance,
                        json={"reason": "une clôture contestée", "net_cents": 4500})
    assert r.status_code == 201 and r.json()["total_cents"] == 5400, r.text

    recon = (await http.get(f"{OUTCOMES}/v1/partners/{p1}/reconciliation", headers=h1)).json()
    (row,) = recon["invoices"]
    assert (row["billed_cents"], row["credited_cents"], row["paid_cents"], row["outstanding_cents"]) == (
        10800, 5400, 5000, 400)
    assert row["matches"][0]["rule"] == "explicit_reference"
    other = (await http.get(f"{OUTCOMES}/v1/partners/{p2}/reconciliation", headers=a.finance)).json()
    assert other["totals"]["outstanding_cents"] == 5400
    assert (await http.get(f"{OUTCOMES}/v1/partners/{p2}/reconciliation", headers=h1)).status_code == 404
