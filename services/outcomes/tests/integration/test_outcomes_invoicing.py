"""Finalising statements into invoices with gapless numbers, credit notes, CSV/PDF/accounting exports and
who may do what, against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from relais_outcomes.domain.calendar import billing_date
from relais_outcomes.service_layer.invoicing import invoice_view
from relais_platform.auth import Principal, Role
from relais_platform.contracts import AttemptResult, Channel, OutcomeType

pytestmark = pytest.mark.integration

FEES = {"case_closed_cents": 4000, "successful_contact_cents": 1000, "visit_cents": 2500}
YEAR = billing_date(datetime.now(UTC)).year


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@pytest.fixture
async def march(outcomes_world, outcomes_tariff):
    """acme: 2 cases in March 2026 — a reached call, a visit, and one closure: 4000+1000+2500 = 7500 net."""
    await outcomes_tariff("2026-01-01", **FEES)
    w = outcomes_world
    a, b = w.opened("I-1"), w.opened("I-2")
    await w.feed(a, b, w.attempt(a, at(3)), w.attempt(b, at(4), result=AttemptResult.NOT_HOME,
                                                      channel=Channel.DOOR_TO_DOOR),
                 w.resolved(a, at(5), OutcomeType.PAID))
    return {"a": a, "b": b}


async def finalize(client, headers, partner: str = "acme", period: str = "2026-03", **body):
    return await client.post(f"/v1/partners/{partner}/statements/{period}/finalize", json=body or None,
                             headers=headers)


async def test_finalising_freezes_the_draft_into_a_numbered_invoice(outcomes_client, outcomes_as, march,
                                                                   outcomes_world) -> None:
    finance = outcomes_as("finance")
    draft = (await outcomes_client.get("/v1/partners/acme/statements/2026-03", headers=finance)).json()
    assert (draft["status"], draft["net_cents"], draft["vat_cents"], draft["total_cents"]) == ("draft", 7500, 1500,
                                                                                               9000)
    r = await finalize(outcomes_client, finance)
    assert r.status_code == 201, r.text
    invoice = r.json()
    assert invoice["number"] == f"REL-{YEAR}-000001"
    assert (invoice["net_cents"], invoice["vat_cents"], invoice["total_cents"]) == (7500, 1500, 9000)
    assert [x["line_id"] for x in invoice["lines"]] == [x["line_id"] for x in draft["lines"]]
    frozen = (await outcomes_client.get("/v1/partners/acme/statements/2026-03", headers=finance)).json()
    assert (frozen["status"], frozen["invoice_number"], frozen["total_cents"]) == ("finalized", invoice["number"], 9000)
    again = await finalize(outcomes_client, finance)
    assert again.status_code == 409 and again.json()["invoice_number"] == invoice["number"]

    # A late March closure lands on the next statement to be finalised, never on the frozen invoice.
    w = outcomes_world
    await w.feed(w.resolved(march["b"], at(30), OutcomeType.REFUSED), w.attempt(march["b"], at(2, month=4)))
    assert (await outcomes_client.get(f"/v1/invoices/{invoice['number']}", headers=finance)).json() == {
        **invoice, "credit_notes": [], "credited_cents": 0}
    april = (await outcomes_client.get("/v1/partners/acme/statements/2026-04", headers=finance)).json()
    assert [(x["kind"], x["period"], x["carried_forward"]) for x in april["lines"]] == [
        ("case_closed", "2026-03", True), ("successful_contact", "2026-04", False)]
    r = await finalize(outcomes_client, finance, period="2026-04")
    assert r.status_code == 201 and r.json()["number"] == f"REL-{YEAR}-000002" and r.json()["net_cents"] == 5000


async def test_numbers_stay_gapless_under_many_concurrent_finalisations(outcomes_client, outcomes_as, outcomes_world,
                                                                        outcomes_tariff) -> None:
    partners = [f"p{n:02d}" for n in range(24)]
    w = outcomes_world
    for partner in partners:
        await outcomes_tariff("2026-01-01", partner_id=partner, **FEES)
    opened = [w.opened(f"G-{p}", partner_id=p) for p in partners]
    await w.feed(*opened, *[w.attempt(o, at(9)) for o in opened])
    finance = outcomes_as("finance")
    calls = [finalize(outcomes_client, finance, partner=p) for p in partners for _ in range(2)]
    results = await asyncio.gather(*calls)
    created = sorted(r.json()["number"] for r in results if r.status_code == 201)
    assert sorted(r.status_code for r in results) == [201] * 24 + [409] * 24
    assert created == [f"REL-{YEAR}-{n:06d}" for n in range(1, 25)]


async def test_the_grace_period_holds_finance_back_and_only_an_admin_may_force(outcomes_client, outcomes_as,
                                                                               outcomes_world,
                                                                               outcomes_tariff) -> None:
    await outcomes_tariff("2026-01-01", **FEES)
    now = datetime.now(UTC)
    period = f"{billing_date(now):%Y-%m}"
    w = outcomes_world
    a = w.opened("NOW-1", opened_at=now - timedelta(hours=2))
    await w.feed(a, w.attempt(a, now - timedelta(hours=1)))
    r = await finalize(outcomes_client, outcomes_as("finance"), period=period)
    assert r.status_code == 409 and "grace_ends_at" in r.json()
    r = await finalize(outcomes_client, outcomes_as("finance"), period=period, force=True)
    assert r.status_code == 409
    r = await finalize(outcomes_client, outcomes_as("admin"), period=period, force=True)
    assert r.status_code == 201 and r.json()["forced"] is True


async def test_nothing_to_invoice_and_bad_input(outcomes_client, outcomes_as, march) -> None:
    finance = outcomes_as("finance")
    assert (await finalize(outcomes_client, finance, period="2026-02")).status_code == 409
    assert (await finalize(outcomes_client, finance, partner="nobody")).status_code == 404
    r = await finalize(outcomes_client, finance, period="2026-13")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"
    r = await finalize(outcomes_client, finance, force="yes")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "force"
    r = await finalize(outcomes_client, finance, other=1)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "other"
    for bad in ("REL-26-1", "nope", "AVO-2026-000001"):
        assert (await outcomes_client.get(f"/v1/invoices/{bad}", headers=finance)).status_code == 422
    assert (await outcomes_client.get("/v1/invoices/REL-2026-999999", headers=finance)).status_code == 404


@pytest.fixture
async def invoiced(outcomes_client, outcomes_as, march) -> dict:
    r = await finalize(outcomes_client, outcomes_as("finance"))
    assert r.status_code == 201, r.text
    return r.json()


async def credit(client, number, headers, **body):
    return await client.post(f"/v1/invoices/{number}/credit-notes", json=body, headers=headers)


async def test_credit_notes_are_numbered_linked_and_never_exceed_the_invoice(outcomes_client, outcomes_as,
                                                                             invoiced) -> None:
    finance, number = outcomes_as("finance"), invoiced["number"]
    visit = next(x for x in invoiced["lines"] if x["kind"] == "visit")
    r = await credit(outcomes_client, number, finance, reason="visite contestée", line_ids=[visit["line_id"]])
    assert r.status_code == 201, r.text
    assert (r.json()["number"], r.json()["net_cents"], r.json()["vat_cents"], r.json()["invoice_number"]) == (
        f"AVO-{YEAR}-000001", 2500, 500, number)
    r = await credit(outcomes_client, number, finance, reason="again", line_ids=[visit["line_id"]])
    assert r.status_code == 409
    r = await credit(outcomes_client, number, finance, reason="too much", net_cents=5001)
    assert r.status_code == 409 and r.json()["left_net_cents"] == 5000
    r = await credit(outcomes_client, number, finance, reason="geste commercial", net_cents=3)
    assert r.status_code == 201 and (r.json()["net_cents"], r.json()["vat_cents"]) == (3, 1)
    r = await credit(outcomes_client, number, finance, reason="solde", net_cents=4997)
    assert r.status_code == 201 and r.json()["number"] == f"AVO-{YEAR}-000003"
    body = (await outcomes_client.get(f"/v1/invoices/{number}", headers=finance)).json()
    assert sum(c["net_cents"] for c in body["credit_notes"]) == 7500
    assert sum(c["vat_cents"] for c in body["credit_notes"]) == 1500 == body["vat_cents"]
    assert body["credited_cents"] == body["total_cents"]
    assert (await credit(outcomes_client, number, finance, reason="x", net_cents=1)).status_code == 409


async def test_credit_note_bad_input(outcomes_client, outcomes_as, invoiced) -> None:
    finance, number = outcomes_as("finance"), invoiced["number"]
    cases = [({"net_cents": 10}, "reason"), ({"reason": "x", "net_cents": "10"}, "net_cents"),
             ({"reason": "x", "net_cents": -1}, "net_cents"), ({"reason": "x"}, "net_cents"),
             ({"reason": "x", "net_cents": 5, "line_ids": [invoiced["lines"][0]["line_id"]]}, "net_cents"),
             ({"reason": "x", "line_ids": [str(uuid.uuid4())]}, "line_ids"),
             ({"reason": "x", "line_ids": ["nope"]}, "line_ids.0")]
    for body, field in cases:
        r = await credit(outcomes_client, number, finance, **body)
        assert r.status_code == 422, (body, r.text)
        got = r.json().get("field") or r.json()["errors"][0]["field"]
        assert got == field, (body, r.json())
    assert (await credit(outcomes_client, "REL-2026-999999", finance, reason="x", net_cents=1)).status_code == 404
    keyed = {**finance, "Idempotency-Key": "cn-1"}
    first = await credit(outcomes_client, number, keyed, reason="x", net_cents=10)
    again = await credit(outcomes_client, number, keyed, reason="x", net_cents=10)
    assert first.json() == again.json() and again.headers.get("Idempotent-Replay") == "true"
    assert (await credit(outcomes_client, number, keyed, reason="x", net_cents=11)).status_code == 422


async def test_the_invoice_exports_csv_pdf_and_accounting(outcomes_client, outcomes_as, invoiced, march) -> None:
    finance, number = outcomes_as("finance"), invoiced["number"]
    r = await outcomes_client.get(f"/v1/invoices/{number}.csv", headers=finance)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(x["kind"] for x in rows) == ["case_closed", "successful_contact", "visit"]
    assert sum(int(x["amount_cents"]) for x in rows) == invoiced["subtotal_cents"]
    assert {x["case_id"] for x in rows} == {str(march["a"].data.case_id), str(march["b"].data.case_id)}
    assert all(x["evidence_event_ids"] for x in rows)

    r = await outcomes_client.get(f"/v1/invoices/{number}.pdf", headers=finance)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    for expected in (f"FACTURE N° {number}", "Client : acme", "Période facturée : 03/2026", "Total HT 75,00 EUR",
                     "TVA 20,00 % 15,00 EUR", "Total TTC 90,00 EUR", "Visite à domicile"):
        assert expected in text, expected

    await credit(outcomes_client, number, finance, reason="geste", net_cents=1000)
    month = f"{billing_date(datetime.now(UTC)):%Y-%m}"
    r = await outcomes_client.get(f"/v1/partners/acme/accounting/{month}.csv", headers=finance)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["document"], x["number"], x["total_cents"]) for x in rows] == [
        ("invoice", number, "9000"), ("credit_note", f"AVO-{YEAR}-000001", "-1200")]
    empty = await outcomes_client.get("/v1/partners/acme/accounting/2020-01.csv", headers=finance)
    assert empty.status_code == 200 and empty.text.count("\n") == 1


@pytest.mark.parametrize(("role", "scope", "read", "write"), [
    ("finance", {}, 200, 201), ("admin", {}, 200, 201), ("partner", {}, 200, 403),
    ("partner", {"partner_id": "other"}, 404, 403), ("agent", {}, 403, 403), ("supervisor", {}, 403, 403)])
async def test_every_invoicing_route_for_every_role(outcomes_client, outcomes_as, invoiced, role, scope, read,
                                                    write) -> None:
    headers, number = outcomes_as(role, **scope), invoiced["number"]
    for url in (f"/v1/invoices/{number}", f"/v1/invoices/{number}.csv", f"/v1/invoices/{number}.pdf",
                "/v1/partners/acme/accounting/2026-03.csv", "/v1/partners/acme/statements/2026-03"):
        assert (await outcomes_client.get(url, headers=headers)).status_code == read, url
    assert (await credit(outcomes_client, number, headers, reason="x", net_cents=1)).status_code == write
    expected_finalize = {201: 201, 403: 403}[write]
    r = await finalize(outcomes_client, headers, period="2026-02")
    assert r.status_code == (409 if expected_finalize == 201 else 403)  # nothing to invoice in February
    assert (await outcomes_client.get(f"/v1/invoices/{number}")).status_code == 401


async def test_replaying_every_topic_after_finalising_changes_no_line_and_no_invoice(outcomes_client, outcomes_as,
                                                                                    outcomes_world, outcomes_pool,
                                                                                    invoiced) -> None:
    finance = outcomes_as("finance")
    before = await outcomes_pool.fetchval("SELECT count(*) FROM billing_lines")
    await outcomes_pool.execute("DELETE FROM processed_events")  # the consumer group reset to the beginning
    for topic, raw in outcomes_world.fed:
        await outcomes_world.feed((topic, raw), record=False)
    assert await outcomes_pool.fetchval("SELECT count(*) FROM billing_lines") == before
    again = (await outcomes_client.get(f"/v1/invoices/{invoiced['number']}", headers=finance)).json()
    assert again == invoiced
    april = (await outcomes_client.get("/v1/partners/acme/statements/2026-04", headers=finance)).json()
    assert april["lines"] == [] and april["total_cents"] == 0


async def test_a_long_invoice_shows_its_first_lines_and_counts_them_all(outcomes_pool, invoiced) -> None:
    finance = Principal(sub="finance", role=Role.FINANCE)
    async with outcomes_pool.acquire() as conn:
        first = await invoice_view(conn=conn, principal=finance, number=invoiced["number"], line_limit=2)
        every = await invoice_view(conn=conn, principal=finance, number=invoiced["number"])
    assert (first.line_count, every.line_count, invoiced["line_count"]) == (3, 3, 3)
    assert [x.line_id for x in first.lines] == [x.line_id for x in every.lines][:2]
    assert [str(x.line_id) for x in every.lines] == [x["line_id"] for x in invoiced["lines"]]
