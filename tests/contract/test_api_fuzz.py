"""No request a user can send makes a Relais HTTP API answer 5xx.

Each service's API runs as a real process (api_stack) on the integration-test database, over a small seeded
world. schemathesis loads the OpenAPI document each process serves at /openapi.json and, for every operation,
generates valid and invalid requests (path, query, headers, body; half of the ids are the seeded world's so
the handlers' deep paths are reached, not only their 404s). Each operation is fuzzed once per principal:
every role with its scope claim, and no token at all. Every answer must be no 5xx, have a status code and a
content type the document declares, conform to the declared response schema, and, for a 4xx, be a JSON object
carrying `detail`. RELAIS_FUZZ_EXAMPLES=100 makes a deeper run (examples per operation and principal).

The lazy `schemathesis.pytest.from_fixture` loader cannot be used: schemathesis 4.32 writes `Item._nodeid`,
which pytest 9.2 no longer has. The operations are therefore listed at collection from the services' own apps
(no I/O), and each test drives `APIOperation.as_strategy` of the live document with Hypothesis.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relais_campaigns.bootstrap import create_api as campaigns_api
from relais_campaigns.config import Settings as CampaignsSettings
from relais_intake.bootstrap import create_api as intake_api
from relais_intake.config import Settings as IntakeSettings
from relais_outcomes.bootstrap import create_api as outcomes_api
from relais_outcomes.config import Settings as OutcomesSettings
from relais_platform.testing import auth_header
from tests.contract.api_stack import AGENT, OTHER_AGENT, PARTNER, SITE, Api, World, seed, start_apis, stop_apis

pytestmark = pytest.mark.integration

# per operation and principal (6 principals: 6 times as many requests per operation); raise it for a deeper run
EXAMPLES_PER_OPERATION = int(os.environ.get("RELAIS_FUZZ_EXAMPLES", "15"))
# In CI the examples are the same every run (a landing must not depend on luck); elsewhere each run explores
# new ones, so bugs keep being found on developers' machines (RELAIS_FUZZ_DERANDOMIZE=0/1 overrides).
DERANDOMIZE = os.environ.get("RELAIS_FUZZ_DERANDOMIZE", "1" if os.environ.get("CI") == "true" else "0") == "1"
ANONYMOUS_EXAMPLES = max(1, EXAMPLES_PER_OPERATION // 4)  # the token is checked before the request is used
KNOWN_ID_PROBABILITY = 0.5  # how often a generated id is replaced by one of the seeded world's

PRINCIPALS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "admin": auth_header("admin"),
    "finance": auth_header("finance"),
    "partner": auth_header("partner", partner_id=PARTNER),
    "agent": auth_header("agent", agent_id=AGENT),
    "supervisor": auth_header("supervisor", site_id=SITE),
}


def _documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, built in-process (no database or Kafka is touched)."""
    return {"intake": intake_api(IntakeSettings(env="test")).openapi(),
            "campaigns": campaigns_api(CampaignsSettings(env="test")).openapi(),
            "outcomes": outcomes_api(OutcomesSettings(env="test")).openapi()}


DOCUMENTS = _documents()
OPERATIONS = [(service, method.upper(), path) for service, doc in DOCUMENTS.items()
              for path, methods in doc["paths"].items() for method in methods]


def error_body_has_detail(ctx: Any, response: Any, case: Any) -> None:
    """A 4xx answer is a JSON object with a `detail` (the shapes install_platform produces)."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} body is not JSON: {response.text[:300]!r}") from exc
    if not isinstance(body, dict) or not body.get("detail"):
        raise AssertionError(f"{response.status_code} body has no `detail`: {response.text[:300]!r}")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          error_body_has_detail]


@pytest.fixture(scope="session")
async def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[dict[str, Api], World]]:
    """The three APIs on free ports over relais_test, with a seeded world; stopped at the end of the session."""
    apis = await start_apis(tmp_path_factory.mktemp("api-fuzz"))
    try:
        yield apis, await seed(apis)
    finally:
        stop_apis(apis)


def _known_ids(world: World) -> dict[str, Any]:
    """schemathesis dictionaries of the seeded ids, bound to the path parameters that take them."""
    dictionaries = {
        "campaign": [world.campaign_id], "lifecycle": [world.lifecycle_campaign_id],
        "submission": [world.submission_id], "case": world.case_ids, "site": [SITE],
        "agent": [AGENT, OTHER_AGENT], "partner": [PARTNER], "period": [world.period],
    }

    def bind(name: str) -> dict[str, Any]:
        return {"dictionary": name, "probability": KNOWN_ID_PROBABILITY}

    return {
        "dictionaries": {name: {"values": values} for name, values in dictionaries.items()},
        "parameters": {"path.campaign_id": bind("campaign"), "path.submission_id": bind("submission"),
                       "path.case_id": bind("case"), "path.site_id": bind("site"), "path.agent_id": bind("agent"),
                       "path.partner_id": bind("partner"), "path.period": bind("period")},
        # pausing, resuming and closing act on a campaign of their own, so the open one keeps taking cases
        "operations": [{"include-path-regex": r"/(pause|resume|close)$",
                        "parameters": {"path.campaign_id": bind("lifecycle")}}],
    }


@pytest.fixture(scope="session")
def fuzz_schemas(fuzz_stack: tuple[dict[str, Api], World]) -> dict[str, Any]:
    """Each service's OpenAPI document as its running API serves it, loaded by schemathesis."""
    apis, world = fuzz_stack
    config = {"generation": {"mode": "all"}, "request-timeout": 10, **_known_ids(world)}
    return {service: schemathesis.openapi.from_url(f"{api.url}/openapi.json",
                                                   config=schemathesis.Config.from_dict(config))
            for service, api in apis.items()}


def test_the_served_operations_are_the_ones_fuzzed(fuzz_schemas: dict[str, Any]) -> None:
    """The operations fuzzed below (listed from the apps in-process) are exactly those the APIs serve."""
    served = [(service, method.upper(), path) for service, schema in fuzz_schemas.items()
              for path, methods in schema.raw_schema["paths"].items() for method in methods]
    assert sorted(served) == sorted(OPERATIONS)


_STRATEGIES: dict[tuple[str, str, str], st.SearchStrategy[Any]] = {}


def _strategy(fuzz_schemas: dict[str, Any], service: str, method: str, path: str) -> st.SearchStrategy[Any]:
    """Valid and invalid requests for one operation (built once, shared by every principal)."""
    key = (service, method, path)
    if key not in _STRATEGIES:
        operation = fuzz_schemas[service][path][method]
        _STRATEGIES[key] = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                     operation.as_strategy(GenerationMode.NEGATIVE))
    return _STRATEGIES[key]


@pytest.fixture(scope="session")
def fuzz_http() -> Iterator[requests.Session]:
    """One HTTP session for every request (kept-alive connections)."""
    with requests.Session() as session:
        yield session


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("service", "method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
def test_no_request_makes_an_api_answer_5xx(fuzz_schemas: dict[str, Any], fuzz_http: requests.Session, service: str,
                                            method: str, path: str, principal: str) -> None:
    """Whatever is sent to the operation, by whoever: a declared, well-formed answer and never a server error."""
    headers = PRINCIPALS[principal]
    examples = EXAMPLES_PER_OPERATION if headers else ANONYMOUS_EXAMPLES

    @settings(max_examples=examples, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(fuzz_schemas, service, method, path))
    def send(case: Any) -> None:
        if case.headers:
            case.headers.pop("authorization", None)  # the principal's token, or none at all
        response = case.call(headers=headers, session=fuzz_http)
        case.validate_response(response, checks=CHECKS, headers=headers)

    send()
