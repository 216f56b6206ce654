"""The service wires its public contract: the documented HTTP paths and the two consumed topics."""

from __future__ import annotations

from relais_campaigns.bootstrap import create_api, create_worker
from relais_campaigns.config import Settings
from relais_platform.contracts import Topics


def test_the_api_serves_the_contract_paths_with_docs() -> None:
    spec = create_api(Settings(env="test")).openapi()
    assert {"/v1/sites/{site_id}", "/v1/agents/{agent_id}", "/v1/agents/{agent_id}/worklist",
            "/v1/cases/{case_id}/attempts", "/v1/cases/{case_id}/reassign", "/v1/sites/{site_id}/board",
            "/v1/partners/{partner_id}/contact-rules", "/v1/admin/clock"} <= set(
        spec["paths"])
    assert set(spec["paths"]["/v1/agents/{agent_id}"]) == {"put", "patch"}
    assert all(op.get("description") for path in spec["paths"].values() for op in path.values())


def test_the_worker_consumes_cases_opened_and_outcomes_resolved() -> None:
    app = create_worker(Settings(env="test"))
    assert set(app.consumed_topics) == {Topics.CASES_OPENED, Topics.OUTCOMES_RESOLVED}
