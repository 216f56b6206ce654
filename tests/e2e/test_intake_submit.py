"""A partner submits a messy French CSV with `relais submit` to the running intake: progress, summary, the
rejection report in the file's own charset and separator, and the accepted cases opened."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from relais_platform.testing import auth_header, token_for
from tests.e2e.conftest import INTAKE, eventually

pytestmark = pytest.mark.e2e

CSV = ("Référence client;Nom;Prénom;Téléphone;Adresse;Code postal;Ville;Montant dû\r\n"
       "S1;Lefèvre;Anaïs;06 12 34 56 78;\"3 place de l'Église; bât. B\";33000;Bordeaux;1 234,56 €\r\n"
       "S2;Müller;Zoé;+33 6 98 76 54 32;;33000;;87,30\r\n"
       "S3;Roux;Noé;06 12;;;;-5\r\n")


async def test_relais_submit_uploads_follows_and_points_to_the_report(tmp_path: Path) -> None:
    partner_id = f"e2e-{uuid.uuid4().hex[:10]}"
    partner = auth_header("partner", partner_id=partner_id)
    today = date.today()
    async with httpx.AsyncClient(base_url=INTAKE, timeout=30) as http:
        campaign = (await http.post("/v1/campaigns", headers=partner, json={
            "name": "E2E submit", "legal_basis": "Art. 6(1)(f) RGPD", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat()})).json()
        path = tmp_path / "export.csv"
        path.write_bytes(CSV.encode("cp1252"))
        cli = Path(sys.executable).parent / "relais"
        run = subprocess.run([cli, "submit", str(path), "--campaign", campaign["campaign_id"], "--url", INTAKE,
                              "--token", token_for("partner", partner_id=partner_id)],
                             capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "accepted" in run.stdout and "rejection report: " in run.stdout
        counts = dict(re.findall(r"^\s*(accepted|rejected|duplicates)\s+(\d+)\s*$", run.stdout, re.M))
        assert counts == {"accepted": "2", "rejected": "1", "duplicates": "0"}, run.stdout  # the summary a user reads
        report_url = run.stdout.split("rejection report: ", 1)[1].split()[0]
        assert report_url.startswith(f"{INTAKE}/v1/submissions/")
        submission_url = report_url.removesuffix("/rejections.csv").removeprefix(INTAKE)
        done = (await http.get(submission_url, headers=partner)).json()
        assert (done["status"], done["accepted"], done["rejected"], done["charset"]) == ("done", 2, 1, "cp1252")
        report = await http.get(report_url.removeprefix(INTAKE), headers=partner)
        assert report.headers["content-type"] == "text/csv; charset=windows-1252"
        assert report.content.decode("cp1252").splitlines()[0].startswith("Référence client;Nom;Prénom")

        async def opened() -> bool:
            detail = (await http.get(f"/v1/campaigns/{campaign['campaign_id']}", headers=partner)).json()
            return detail["cases_total"] == 2

        await eventually(opened, what="the two accepted cases in the campaign")
        again = subprocess.run([cli, "submit", str(path), "--campaign", campaign["campaign_id"], "--url", INTAKE,
                                "--token", token_for("partner", partner_id=partner_id), "--no-wait"],
                               capture_output=True, text=True, timeout=60, check=False)
        assert again.returncode == 0 and "already submitted" in again.stdout
