"""build_api refuses, with a 422 naming the field, a JSON body PostgreSQL or orjson cannot hold (each used to
answer 500 somewhere: the idempotency hash, a jsonb column, a text column, an event), and its OpenAPI document
declares the error bodies install_platform really sends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from relais_platform.config import PlatformSettings
from relais_platform.http import CurrentPrincipal, build_api
from relais_platform.runtime import Resources
from relais_platform.testing import auth_header

router = APIRouter(prefix="/v1")


class Thing(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    extra: dict[str, Any] | None = None


@router.post("/things")
async def post_thing(body: Thing, principal: CurrentPrincipal) -> dict[str, str]:
    """Echo the name."""
    return {"name": body.name, "by": principal.sub}


@router.post("/things/{name}/touch")
async def touch_thing(name: str, principal: CurrentPrincipal) -> dict[str, str]:
    """A POST without a body parameter."""
    return {"name": name}


@pytest.fixture
async def platform_client() -> Any:
    settings = PlatformSettings(env="test")
    app = build_api(title="t", description="t", settings=settings, resources=Resources(settings, schema="t"),
                    router=router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def _post(client: httpx.AsyncClient, raw: str, path: str = "/v1/things") -> httpx.Response:
    return await client.post(path, content=raw.encode("utf-8", "surrogatepass"),
                             headers={**auth_header("admin"), "content-type": "application/json"})


@pytest.mark.parametrize(("raw", "field", "reason"), [
    ('{"name": "a\\u0000b"}', "name", "NUL"),
    ('{"name": "x", "extra": {"n": 123456789012345678901234567890}}', "extra.n", "64 bits"),
    ('{"name": "x", "loose": [1, "\\udc00"]}', "loose.1", "surrogate"),
    ('{"name": "x", "extra": {"k\\u0000": 1}}', "extra.k\x00", "key may not contain"),
])
async def test_an_unstorable_body_is_a_422_naming_the_field(platform_client: httpx.AsyncClient, raw: str,
                                                            field: str, reason: str) -> None:
    response = await _post(platform_client, raw)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error" and reason in body["detail"]
    assert body["errors"] == [{"field": field, "message": body["errors"][0]["message"], "type": "unstorable_value"}]


async def test_a_storable_body_goes_through(platform_client: httpx.AsyncClient) -> None:
    response = await _post(platform_client, '{"name": "Zoé \\ud83d\\ude42", "extra": {"n": 18446744073709551615}}')
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Zoé 🙂"


async def test_a_route_without_a_body_ignores_what_is_sent(platform_client: httpx.AsyncClient) -> None:
    response = await _post(platform_client, '{"x": "\\u0000"}', path="/v1/things/a/touch")
    assert response.status_code == 200, response.text


async def test_no_token_is_still_a_401(platform_client: httpx.AsyncClient) -> None:
    response = await platform_client.post("/v1/things", json={"name": "x"})
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


async def test_the_document_declares_the_error_bodies_really_sent(platform_client: httpx.AsyncClient) -> None:
    document = (await platform_client.get("/openapi.json")).json()
    responses = document["paths"]["/v1/things"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "409", "422"}
    for status in ("400", "401", "403", "404", "409", "422"):
        assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error", "detail"] and error["additionalProperties"] is True
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]
