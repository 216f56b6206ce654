"""Bearer JWTs (HS256) and the principal they name. Who may see what is decided by each service."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt


class Role(StrEnum):
    PARTNER = "partner"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    FINANCE = "finance"
    ADMIN = "admin"


# The claim each role must carry to scope what it sees.
REQUIRED_CLAIM: dict[Role, str | None] = {
    Role.PARTNER: "partner_id",
    Role.AGENT: "agent_id",
    Role.SUPERVISOR: "site_id",
    Role.FINANCE: None,
    Role.ADMIN: None,
}


class AuthError(Exception):
    """The token is missing, malformed, expired, or lacks a claim its role needs."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, from a verified token."""

    sub: str
    role: Role
    partner_id: str | None = None
    agent_id: str | None = None
    site_id: str | None = None

    def is_any(self, *roles: Role) -> bool:
        """True when the principal holds one of `roles`."""
        return self.role in roles


def mint_token(*, secret: str, role: Role | str, sub: str, issuer: str = "relais", ttl_seconds: int = 12 * 3600,
               **scope: str | None) -> str:
    """Issue a signed token (local/dev tooling and tests; production tokens come from the identity provider)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "role": str(Role(role)), "iss": issuer, "iat": now, "exp": now + ttl_seconds}
    claims.update({k: v for k, v in scope.items() if v is not None})
    principal_from_claims(claims)  # refuse to mint a token we would reject
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(token: str, *, secret: str, issuer: str = "relais") -> Principal:
    """Check signature, expiry and issuer; return the principal or raise AuthError."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer,
                            options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Build a principal; a role without its scoping claim is refused."""
    try:
        role = Role(claims.get("role"))
    except ValueError as exc:
        raise AuthError(f"unknown role {claims.get('role')!r}") from exc
    needed = REQUIRED_CLAIM[role]
    if needed and not claims.get(needed):
        raise AuthError(f"a {role} token must carry the claim {needed!r}")
    return Principal(sub=str(claims["sub"]), role=role, partner_id=claims.get("partner_id"),
                     agent_id=claims.get("agent_id"), site_id=claims.get("site_id"))
