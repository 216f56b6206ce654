"""The demo seeded by `make up`: what a partner, a supervisor and finance would do on day one,
done through the public HTTP APIs only."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
from faker import Faker
from rich.console import Console

from relais_platform.auth import mint_token
from relais_platform.config import PlatformSettings
from relais_platform.http import body_hash

INTAKE = os.environ.get("RELAIS_INTAKE_URL", "http://127.0.0.1:8001")
CAMPAIGNS = os.environ.get("RELAIS_CAMPAIGNS_URL", "http://127.0.0.1:8002")
OUTCOMES = os.environ.get("RELAIS_OUTCOMES_URL", "http://127.0.0.1:8003")

SITES = {
    "pimms-paris-nord": {"name": "PIMMS Paris Nord", "postcode_prefixes": ["75", "93", "95"],
                         "time_zone": "Europe/Paris"},
    "pimms-lyon": {"name": "PIMMS Lyon Métropole", "postcode_prefixes": ["69", "01", "38"],
                   "time_zone": "Europe/Paris"},
}
AGENTS = {
    "agent-amina": ("pimms-paris-nord", "Amina Diallo"),
    "agent-lucas": ("pimms-paris-nord", "Lucas Martin"),
    "agent-chloe": ("pimms-lyon", "Chloé Bernard"),
    "agent-karim": ("pimms-lyon", "Karim Haddad"),
}
CITIES = {"75018": "Paris", "75019": "Paris", "75020": "Paris", "93200": "Saint-Denis", "93400": "Saint-Ouen-sur-Seine",
          "95100": "Argenteuil", "69003": "Lyon", "69008": "Lyon", "69100": "Villeurbanne", "01000": "Bourg-en-Bresse",
          "38000": "Grenoble"}
TARIFF = {"effective_from": "2026-01-01", "vat_rate_bp": 2000,
          "fees": {"case_closed_cents": 4500, "successful_contact_cents": 1200, "visit_cents": 2500,
                   "payment_plan_cents": 1500, "referral_taken_up_cents": 2000}}
PARTNERS = {"eau-de-loire": ("Campagne pré-hiver impayés eau", "ELO"),
            "transports-metropole": ("Relance abonnés solidaires", "TMT")}


@dataclass
class Tokens:
    """One bearer token per role used by the demo."""

    admin: str
    finance: str
    partners: dict[str, str]
    agent: str
    supervisor: str


def _tokens() -> Tokens:
    s = PlatformSettings()

    def mint(role: str, sub: str, **scope: str) -> str:
        return mint_token(secret=s.jwt_secret, issuer=s.jwt_issuer, role=role, sub=sub, ttl_seconds=7 * 86400, **scope)

    return Tokens(
        admin=mint("admin", "admin:demo"),
        finance=mint("finance", "finance:demo"),
        partners={p: mint("partner", f"partner:{p}", partner_id=p) for p in PARTNERS},
        agent=mint("agent", "agent:agent-amina", agent_id="agent-amina"),
        supervisor=mint("supervisor", "supervisor:pimms-paris-nord", site_id="pimms-paris-nord"),
    )


def _call(client: httpx.Client, method: str, url: str, token: str, **kw: Any) -> Any:
    response = client.request(method, url, headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})}, **kw)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
    return response.json()


def fake_cases(count: int, *, prefix: str, seed: int) -> list[dict[str, Any]]:
    """Realistic French cases (Faker fr_FR) in the demo sites' territory."""
    fake = Faker("fr_FR")
    Faker.seed(seed)
    rnd = random.Random(seed)
    cases = []
    for i in range(count):
        euros = rnd.randint(1500, 250_000) / 100
        case: dict[str, Any] = {
            "external_ref": f"{prefix}-{i + 1:06d}",
            "first_name": fake.first_name(),
            "last_name": fake.last_name(),
            "amount_due": f"{euros:,.2f}".replace(",", " ").replace(".", ",") + " €",
        }
        postcode = rnd.choice(sorted(CITIES))
        case["address"] = {"line1": fake.street_address(), "postcode": postcode, "city": CITIES[postcode]}
        if rnd.random() < 0.85:
            case["phone"] = f"0{rnd.choice('67')} {rnd.randint(10, 99)} {rnd.randint(10, 99)} " \
                            f"{rnd.randint(10, 99)} {rnd.randint(10, 99)}"
        cases.append(case)
    return cases


def seed(client: httpx.Client, tokens: Tokens, *, cases: int) -> dict[str, dict[str, Any]]:
    """Sites, agents, tariffs, one campaign per partner with its cases; safe to run again."""
    for site_id, body in SITES.items():
        _call(client, "PUT", f"{CAMPAIGNS}/v1/sites/{site_id}", tokens.admin, json=body)
    for agent_id, (site_id, name) in AGENTS.items():
        _call(client, "PUT", f"{CAMPAIGNS}/v1/agents/{agent_id}", tokens.admin,
              json={"site_id": site_id, "display_name": name, "channels": ["phone", "door_to_door"],
                    "daily_capacity": 150})
    submissions = {}
    for n, (partner_id, (name, ref_prefix)) in enumerate(PARTNERS.items()):
        _call(client, "PUT", f"{OUTCOMES}/v1/partners/{partner_id}/tariff", tokens.finance, json=TARIFF)
        token = tokens.partners[partner_id]
        campaign = _call(client, "POST", f"{INTAKE}/v1/campaigns", token,
                         headers={"Idempotency-Key": f"demo-campaign-{partner_id}"},
                         json={"name": name, "starts_on": "2026-11-01", "ends_on": "2027-03-31",
                               "legal_basis": "Convention de partenariat 2026, art. 4: transmission des "
                                              "coordonnées pour médiation (intérêt légitime)."})
        batch = fake_cases(cases if n == 0 else 40, prefix=ref_prefix, seed=n + 1)
        result = _call(client, "POST", f"{INTAKE}/v1/campaigns/{campaign['campaign_id']}/cases", token,
                       headers={"Idempotency-Key": f"demo-cases-{partner_id}-{body_hash(batch)[:12]}"},
                       json={"cases": batch})
        submissions[partner_id] = {"campaign_id": campaign["campaign_id"], **result}
    return submissions


def assigned_total(client: httpx.Client, tokens: Tokens) -> int:
    """Open cases held by an agent, over the demo sites (from the supervisor boards)."""
    total = 0
    for site_id in SITES:
        board = _call(client, "GET", f"{CAMPAIGNS}/v1/sites/{site_id}/board", tokens.admin)
        total += sum(a["assigned_open"] + a["resolved"] for a in board["agents"])
    return total


def run_demo(console: Console, *, cases: int, timeout: float) -> int:
    """Seed, wait for assignment, print where to look; returns a process exit code."""
    tokens = _tokens()
    with httpx.Client(timeout=60) as client:
        submissions = seed(client, tokens, cases=cases)
        accepted = sum(_call(client, "GET", f"{INTAKE}/v1/campaigns/{s['campaign_id']}", tokens.admin)["cases_total"]
                       for s in submissions.values())  # every open case of the demo, this run's or an earlier one's
        deadline = time.monotonic() + timeout
        assigned = assigned_total(client, tokens)
        while assigned < accepted and time.monotonic() < deadline:
            time.sleep(0.5)
            assigned = assigned_total(client, tokens)
    for partner_id, s in submissions.items():
        console.print(f"[bold]{partner_id}[/bold]: campaign {s['campaign_id']} — accepted {s['accepted']}, "
                      f"rejected {s['rejected']}, duplicates {s['duplicates']}")
    ok = assigned >= accepted
    console.print(("[green]" if ok else "[red]") + f"{assigned}/{accepted} cases assigned to agents[/]")
    _print_where_to_look(console, tokens)
    return 0 if ok else 1


def _print_where_to_look(console: Console, tokens: Tokens) -> None:
    partner = next(iter(PARTNERS))
    console.print("\n[bold]Where to look[/bold]")
    console.print(f"  API docs: {INTAKE}/docs  {CAMPAIGNS}/docs  {OUTCOMES}/docs")
    console.print(f"  Metrics: {INTAKE}/metrics (each API's); each worker's and relay's on its API's port + 1100 / "
                  "+ 1200 (make status lists them)")
    console.print(f"  Worklist: curl -H 'Authorization: Bearer {tokens.agent}' "
                  f"{CAMPAIGNS}/v1/agents/agent-amina/worklist")
    month = time.strftime("%Y-%m")
    console.print(f"  Statement: curl -H 'Authorization: Bearer {tokens.finance}' "
                  f"{OUTCOMES}/v1/partners/{partner}/statements/{month}")
    console.print("  Tokens (7 days; more with `.venv/bin/relais token --role ...`):")
    console.print(f"    admin      {tokens.admin}")
    console.print(f"    finance    {tokens.finance}")
    console.print(f"    partner    {tokens.partners[partner]}   ({partner})")
    console.print(f"    agent      {tokens.agent}   (agent-amina)")
    console.print(f"    supervisor {tokens.supervisor}   (pimms-paris-nord)")
    console.print("  Logs: .local/logs/   Status: make status   Stop: make down")
    print_status(console)


def print_status(console: Console) -> None:
    """One line: each service's readiness."""
    parts = []
    for name, url in (("intake", INTAKE), ("campaigns", CAMPAIGNS), ("outcomes", OUTCOMES)):
        try:
            ok = httpx.get(f"{url}/readyz", timeout=3).status_code == 200
        except httpx.HTTPError:
            ok = False
        parts.append(f"{name} {'[green]ready[/green]' if ok else '[red]down[/red]'}")
    console.print("  Status: " + " · ".join(parts))
