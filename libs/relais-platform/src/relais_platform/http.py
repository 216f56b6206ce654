"""What every Relais HTTP API shares: auth dependency, error mapping, request ids, health, metrics,
and Idempotency-Key handling."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
import orjson
import structlog
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from relais_platform.auth import AuthError, Principal, Role, verify_token
from relais_platform.errors import Forbidden, RelaisError, Unauthorized, Unprocessable
from relais_platform.storable import unstorable

log = structlog.get_logger(__name__)

REQUESTS = Counter("relais_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("relais_http_request_seconds", "HTTP request latency", ["method", "route"])

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]


class FieldErrorOut(BaseModel):
    """One invalid field of a request."""

    field: str
    message: str
    type: str


class ErrorOut(BaseModel):
    """The body of every 4xx answer: a code, a sentence, and the field(s) concerned when known. Some errors
    add details of their own (a 409 may name the rule it broke)."""

    model_config = ConfigDict(extra="allow")

    error: str
    detail: str
    field: str | None = None
    errors: list[FieldErrorOut] | None = None


# What every route of a service's router may answer besides its own success (build_api declares them all).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description} for status, description in (
        (400, "The body cannot be read (e.g. JSON that is not UTF-8)"),
        (401, "No valid bearer token"),
        (403, "The caller's role may never use this route"),
        (404, "Unknown id, or one the caller may not see"),
        (409, "The current state forbids it"),
        (422, "Invalid input: `field` (or `errors[].field`) names it"),
    )
}


def _principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token (Authorization: Bearer <JWT>)")
    settings = request.app.state.settings
    try:
        principal = verify_token(authorization[7:].strip(), secret=settings.jwt_secret, issuer=settings.jwt_issuer)
    except AuthError as exc:
        raise Unauthorized(str(exc)) from exc
    structlog.contextvars.bind_contextvars(principal=principal.sub, role=str(principal.role))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def allow(principal: Principal, *roles: Role) -> None:
    """Refuse a role that may never use this route."""
    if not principal.is_any(*roles):
        raise Forbidden(f"role {principal.role} may not use this route")


def roles(*allowed: Role) -> Any:
    """A principal dependency that refuses (403) any other role before the request body is even parsed."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        allow(principal, *allowed)
        return principal

    return Annotated[Principal, Depends(dependency)]


async def _pool(request: Request) -> asyncpg.Pool:
    return await request.app.state.resources.pool()


Pool = Annotated[asyncpg.Pool, Depends(_pool)]


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _field_of(tuple(e["loc"])), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10])
    return JSONResponse({"error": "validation_error", "detail": summary, "errors": errors}, status_code=422)


async def storable_body(request: Request) -> None:
    """Refuse (422, naming the field) a JSON body holding what PostgreSQL or the event encoding cannot hold:
    a NUL character, a lone surrogate, an integer beyond 64 bits. Any other body is left to the route."""
    if getattr(request.scope.get("route"), "body_field", None) is None or not await request.body():
        return
    try:
        doc = await request.json()  # parsed once: FastAPI already did, Starlette keeps it
    except ValueError:
        return  # not JSON: the route's own validation answers
    found = unstorable(doc)
    if found is not None:
        path, message = found
        raise RequestValidationError([{"loc": ("body", *path), "msg": message, "type": "unstorable_value"}])


async def _relais_error(_request: Request, exc: RelaisError) -> JSONResponse:
    return JSONResponse(exc.to_body(), status_code=exc.status_code)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"error": "http_error", "detail": exc.detail}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse({"error": "internal", "detail": "internal error; see the service log"}, status_code=500)


def install_platform(app: FastAPI, *, readiness: ReadinessCheck) -> None:
    """Add error mapping, request ids, timing metrics and /healthz, /readyz, /metrics to `app`."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(RelaisError, _relais_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)

    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service=app.title, request_id=request_id)
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        response.headers["x-request-id"] = request_id
        return response

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses={503: {"description": "Kafka or PostgreSQL is unreachable"}})
    async def readyz() -> JSONResponse:
        """Kafka and PostgreSQL are reachable."""
        checks = await readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def body_hash(payload: Any) -> str:
    """A stable hash of a request body, insensitive to key order and whitespace."""
    if hasattr(payload, "model_dump"):
        payload = payload.model_dump(mode="json")
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


Action = Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]]


async def idempotent(pool: asyncpg.Pool, *, principal: Principal, key: str | None, scope: str, payload: Any,
                     action: Action) -> Response:
    """Run `action` in one transaction; with an Idempotency-Key, a replay returns the first response
    and the same key with a different body is refused with 422."""
    async with pool.acquire() as conn, conn.transaction():
        if key is None:
            status, body = await action(conn)
            return _json(_jsonable(body), status)
        full_scope = f"{principal.role}:{principal.partner_id or principal.agent_id or principal.site_id or '-'}" \
                     f":{principal.sub}|{scope}"
        digest = body_hash(payload)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{full_scope}|{key}")
        seen = await conn.fetchrow(
            "SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
            full_scope, key,
        )
        if seen is not None:
            if seen["request_hash"] != digest:
                raise Unprocessable("Idempotency-Key was already used with a different request body",
                                    field="Idempotency-Key")
            return _json(seen["response"], seen["status_code"], headers={"Idempotent-Replay": "true"})
        status, body = await action(conn)
        body = _jsonable(body)
        await conn.execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)"
            " VALUES ($1, $2, $3, $4, $5)",
            full_scope, key, digest, status, body,
        )
        return _json(body, status)


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _jsonable(body: Any) -> Any:
    if hasattr(body, "model_dump"):
        return body.model_dump(mode="json")
    return orjson.loads(orjson.dumps(body)) if body is not None else None


def build_api(*, title: str, description: str, settings: Any, resources: Any, router: APIRouter) -> FastAPI:
    """A service's FastAPI app: the pool opened and closed by the lifespan, the platform routes and
    error mapping, and the service's router."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await resources.pool()
        yield
        await resources.close()

    app = FastAPI(title=title, version="1", description=description, lifespan=lifespan,
                  dependencies=[Depends(storable_body)])
    app.state.settings = settings
    app.state.resources = resources
    install_platform(app, readiness=resources.readiness)
    app.include_router(router, responses=ERROR_RESPONSES)
    return app
