"""File uploads end to end on the real PostgreSQL: streamed in, processed by the worker's file processor in
chunks, every row accounted for, the rejection report in the partner's own format, restart without duplicates."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from openpyxl import Workbook

from relais_intake.service_layer import case_intake, file_processing
from relais_intake.service_layer.file_processing import process_next_file
from relais_platform.contracts import CaseRejected
from relais_platform.events import decode

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"
FRENCH_CSV = (
    "Référence client;Nom;Prénom;Téléphone;Adresse;Code postal;Ville;Montant dû;Date impayé;Agence\r\n"
    "R1;Dupont-Moreau;Léa;06 12 34 56 78;12 rue des Lilas;69003;Lyon;1 234,56 €;15/03/2024;Lyon 3\r\n"
    f'R2;N\'Diaye;Amadou;+33 6 98 76 54 32;"3 place de l\'Église; bât. B";20000;Ajaccio;1{NBSP}050,00 €;;\r\n'
    'R3;Le Goff;Anne;0692 12 34 56;"Résidence les Pins\r\nappt 4";97400;Saint-Denis;87,30;2024-01-31;\r\n'
    "R4;Martin;Paul;06.11.22.33.44;;;;-12,50;;\r\n"
    "R5;;Jean;0033 6 12 34 56 79;;75011;;abc;2999-01-01;\r\n"
    "R1;Dupont;Léa;06 12 34 56 78;;75011;;10;;\r\n"
)


async def _upload(client, campaign_id: str, content: bytes, headers: dict[str, str], **params: str) -> Any:
    return await client.post(f"/v1/campaigns/{campaign_id}/cases/upload", content=content, params=params,
                             headers={"Content-Type": "text/csv", **headers})


async def _process_all(pool) -> None:
    while await process_next_file(pool=pool, owner=uuid.uuid4()) is not None:
        pass


async def _submission(client, submission_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/v1/submissions/{submission_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_french_cp1252_csv_every_row_accounted_for(intake_client, intake_as, intake_campaign,
                                                         intake_pool) -> None:
    campaign = await intake_campaign()
    partner = intake_as("partner")
    response = await _upload(intake_client, campaign["campaign_id"], FRENCH_CSV.encode("cp1252"), partner,
                             filename="export-sap.csv")
    assert response.status_code == 202, response.text
    submitted = response.json()
    assert submitted["status"] == "received" and submitted["progress"] == 0
    assert response.headers["Location"] == f"/v1/submissions/{submitted['submission_id']}"

    await _process_all(intake_pool)
    done = await _submission(intake_client, submitted["submission_id"], partner)
    assert (done["status"], done["rows_read"], done["accepted"], done["rejected"], done["duplicates"],
            done["progress"], done["charset"], done["separator"]) == ("done", 6, 3, 2, 1, 1.0, "cp1252", ";")

    cases = {r["external_ref"]: r for r in await intake_pool.fetch("SELECT * FROM cases")}
    assert set(cases) == {"R1", "R2", "R3"}
    assert (cases["R1"]["last_name"], cases["R1"]["amount_due_cents"], str(cases["R1"]["debt_since"]),
            cases["R1"]["extra"]) == ("Dupont-Moreau", 123456, "2024-03-15", {"Agence": "Lyon 3"})
    assert cases["R2"]["department"] == "2A" and cases["R2"]["address"]["line1"] == "3 place de l'Église; bât. B"
    assert cases["R2"]["amount_due_cents"] == 105000 and cases["R2"]["last_name"] == "N'Diaye"
    assert cases["R3"]["time_zone"] == "Indian/Reunion" and cases["R3"]["phone_e164"] == "+262692123456"
    assert cases["R3"]["address"]["line1"] == "Résidence les Pins appt 4"

    dead = [decode(r["value"], CaseRejected) for r in
            await intake_pool.fetch("SELECT value FROM outbox_events WHERE topic = 'relais.intake.rejections.v1'")]
    assert sorted((d.data.line, d.data.external_ref, d.data.channel) for d in dead) == [
        (6, "R4", "csv"), (7, "R5", "csv")]  # R3's address holds a line break: R4 starts on line 6
    r5 = next(d for d in dead if d.data.external_ref == "R5").data
    assert {r.code for r in r5.reasons} >= {"required", "invalid_amount", "in_future"}
    assert r5.raw["Montant dû"] == "abc"

    report = await intake_client.get(f"/v1/submissions/{submitted['submission_id']}/rejections.csv", headers=partner)
    assert report.headers["content-type"] == "text/csv; charset=windows-1252"
    rows = list(csv.reader(io.StringIO(report.content.decode("cp1252")), delimiter=";"))
    assert rows[0] == ["Référence client", "Nom", "Prénom", "Téléphone", "Adresse", "Code postal", "Ville",
                       "Montant dû", "Date impayé", "Agence", "line", "reasons"]
    assert [(r[0], r[10]) for r in rows[1:]] == [("R4", "6"), ("R5", "7"), ("R1", "8")]
    assert "négati" in rows[1][11] or "negative" in rows[1][11]
    assert "already" in rows[3][11]


async def test_utf8_bom_comma_english_headers(intake_client, intake_as, intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign()
    text = ("external_ref,last_name,first_name,phone,postcode,amount_due\n"
            'E1,Ødegård,Zoë,"+596 696 12 34 56",,"1,234.56"\n'
            f"E2,Ngô,Thị,06 12 34 56 78,2B200,1{NNBSP}200\n")
    response = await _upload(intake_client, campaign["campaign_id"], b"\xef\xbb\xbf" + text.encode(),
                             intake_as("partner"))
    await _process_all(intake_pool)
    done = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert (done["charset"], done["separator"], done["accepted"], done["rejected"]) == ("utf-8-sig", ",", 1, 1)
    e1 = await intake_pool.fetchrow("SELECT * FROM cases WHERE external_ref = 'E1'")
    assert (e1["last_name"], e1["department"], e1["amount_due_cents"]) == ("Ødegård", "972", 123456)
    report = await intake_client.get(f"/v1/submissions/{done['submission_id']}/rejections.csv",
                                     headers=intake_as("partner"))
    assert report.content.startswith(b"\xef\xbb\xbfexternal_ref,") and b"postcode" in report.content


async def test_xlsx_upload(intake_client, intake_as, intake_campaign, intake_pool) -> None:
    campaign = await intake_campaign()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Référence client", "Nom", "Prénom", "Téléphone", "Code postal", "Montant dû", "Date impayé"])
    sheet.append(["X1", "Durand", "Chloé", "0612345678", "13001", 99.9, None])
    sheet.append(["X2", "Petit", "Noé", 612345679, 6000, 10, None])  # postcode lost its leading zero
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                        content=buffer.getvalue(), headers=intake_as("partner"))
    assert response.status_code == 202 and response.json()["channel"] == "xlsx"
    await _process_all(intake_pool)
    done = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert (done["status"], done["accepted"], done["rejected"]) == ("done", 1, 1)
    x1 = await intake_pool.fetchrow("SELECT * FROM cases WHERE external_ref = 'X1'")
    assert (x1["amount_due_cents"], x1["department"]) == (9990, "13")
    reasons = await intake_pool.fetchval("SELECT reasons FROM rejections WHERE external_ref = 'X2'")
    assert "leading zero" in reasons[0]["reason"]


async def test_multipart_upload_and_same_file_again(intake_client, intake_as, intake_campaign, intake_key,
                                                    intake_pool) -> None:
    campaign = await intake_campaign()
    content = FRENCH_CSV.encode("utf-8")
    first = await intake_client.post(f"/v1/campaigns/{campaign['campaign_id']}/cases/upload",
                                     files={"file": ("cases.csv", content, "text/csv")}, headers=intake_as("partner"))
    assert first.status_code == 202 and first.json()["filename"] == "cases.csv"
    assert first.json()["bytes_total"] == len(content)
    again = await _upload(intake_client, campaign["campaign_id"], content, intake_as("partner"))
    assert again.status_code == 200 and again.json()["submission_id"] == first.json()["submission_id"]
    assert again.headers["Idempotent-Replay"] == "true"
    key = {"Idempotency-Key": intake_key(), **intake_as("partner")}
    other = content + b"R9;Roux;Ana;06 12 34 56 70;;75011;;10;;\r\n"
    keyed = await _upload(intake_client, campaign["campaign_id"], other, key)
    assert keyed.status_code == 202
    replay = await _upload(intake_client, campaign["campaign_id"], other, key)
    assert replay.status_code == 200 and replay.json()["submission_id"] == keyed.json()["submission_id"]
    changed = await _upload(intake_client, campaign["campaign_id"], other + b"\r\n", key)
    assert changed.status_code == 422 and changed.json()["field"] == "Idempotency-Key"
    assert await intake_pool.fetchval("SELECT count(*) FROM submissions") == 2


async def test_worker_crash_mid_file_resumes_without_duplicates(intake_client, intake_as, intake_campaign,
                                                                intake_pool, monkeypatch) -> None:
    campaign = await intake_campaign()
    lines = ["ref;nom;prenom;telephone;code postal;montant"]
    lines += [f"C{i};Nom{i};Prénom;06 12 34 {i // 100 % 100:02d} {i % 100:02d};75011;{'-1' if i % 7 == 0 else '12,5'}"
              for i in range(1, 24)]
    response = await _upload(intake_client, campaign["campaign_id"], "\n".join(lines).encode(), intake_as("partner"))
    monkeypatch.setattr(file_processing, "ROWS_PER_CHUNK", 5)
    real_take = case_intake.take_prepared
    calls = {"n": 0}

    async def crash_on_third_chunk(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionResetError("worker lost its database mid-file")
        return await real_take(**kwargs)

    monkeypatch.setattr(file_processing, "take_prepared", crash_on_third_chunk)
    with pytest.raises(ConnectionResetError):
        await process_next_file(pool=intake_pool, owner=uuid.uuid4())
    halfway = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert (halfway["status"], halfway["rows_read"]) == ("validating", 10) and 0 < halfway["progress"] < 1
    assert await process_next_file(pool=intake_pool, owner=uuid.uuid4()) is None  # its lease still holds
    await intake_pool.execute("UPDATE submissions SET lease_until = now() - interval '1 second'")
    await _process_all(intake_pool)
    done = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert (done["status"], done["rows_read"], done["accepted"], done["rejected"]) == ("done", 23, 20, 3)
    assert await intake_pool.fetchval("SELECT count(*) FROM cases") == 20
    events = await intake_pool.fetchval("SELECT count(*) FROM outbox_events")
    assert events == 23  # 20 opened + 3 dead letters, once each
    assert await intake_pool.fetchval("SELECT count(*) FROM submission_chunks") == 0  # dropped once done


async def test_file_without_usable_header_fails_with_the_reason(intake_client, intake_as, intake_campaign,
                                                                intake_pool) -> None:
    campaign = await intake_campaign()
    response = await _upload(intake_client, campaign["campaign_id"], b"a;b;c\n1;2;3\n", intake_as("partner"))
    await _process_all(intake_pool)
    failed = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert failed["status"] == "failed" and "external_ref" in failed["error"] and "Référence" not in failed["error"]
    not_a_workbook = await _upload(intake_client, campaign["campaign_id"], b"PK\x03\x04garbage",
                                   {**intake_as("partner"), "Content-Type": "application/octet-stream"})
    await _process_all(intake_pool)
    failed = await _submission(intake_client, not_a_workbook.json()["submission_id"], intake_as("partner"))
    assert failed["status"] == "failed" and "cannot be read" in failed["error"]


async def test_invalid_bytes_in_a_utf8_file_refuse_the_row(intake_client, intake_as, intake_campaign,
                                                           intake_pool) -> None:
    campaign = await intake_campaign()
    content = "ref;nom;prenom;telephone;cp;montant\nU1;Été;Zoé;0612345678;75011;10\n".encode() + \
        b"U2;Lef\xe8vre;Ana;0612345679;75011;10\n"
    response = await _upload(intake_client, campaign["campaign_id"], content, intake_as("partner"),
                             charset="utf-8")
    await _process_all(intake_pool)
    done = await _submission(intake_client, response.json()["submission_id"], intake_as("partner"))
    assert (done["accepted"], done["rejected"]) == (1, 1)
    reasons = await intake_pool.fetchval("SELECT reasons FROM rejections WHERE line = 3")
    assert reasons[0]["code"] == "invalid_encoding" and reasons[0]["field"] == "nom"


async def test_upload_access_and_bad_requests(intake_client, intake_as, intake_campaign) -> None:
    campaign = await intake_campaign(partner_id="acme")
    url = f"/v1/campaigns/{campaign['campaign_id']}/cases/upload"
    content = FRENCH_CSV.encode()
    for role in ("agent", "supervisor", "finance"):
        assert (await intake_client.post(url, content=content, headers=intake_as(role))).status_code == 403
    assert (await intake_client.post(url, content=content)).status_code == 401
    other = await intake_client.post(url, content=content, headers=intake_as("partner", partner_id="other"))
    assert other.status_code == 404
    assert (await intake_client.post(url, content=content, headers=intake_as("admin"))).status_code == 202
    empty = await intake_client.post(url, content=b"", headers=intake_as("partner"))
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    for charset in ("klingon", "base64", "utf-8\x00"):  # base64: a codec, but of bytes, not of text
        bad_charset = await intake_client.post(url, content=content, params={"charset": charset},
                                               headers=intake_as("partner"))
        assert bad_charset.status_code == 422 and bad_charset.json()["field"] == "charset", charset
    bad_sep = await intake_client.post(url, content=content, params={"separator": "x"}, headers=intake_as("partner"))
    assert bad_sep.status_code == 422 and bad_sep.json()["errors"][0]["field"] == "separator"
    no_part = await intake_client.post(url, files={"note": (None, "hello")}, headers=intake_as("partner"))
    assert no_part.status_code == 422 and no_part.json()["field"] == "file"
    closed = await intake_campaign(partner_id="acme")
    await intake_client.post(f"/v1/campaigns/{closed['campaign_id']}/close", headers=intake_as("partner"))
    refused = await intake_client.post(f"/v1/campaigns/{closed['campaign_id']}/cases/upload", content=content,
                                       headers=intake_as("partner"))
    assert refused.status_code == 409
    unknown = await intake_client.get(f"/v1/submissions/{uuid.uuid4()}", headers=intake_as("partner"))
    assert unknown.status_code == 404
