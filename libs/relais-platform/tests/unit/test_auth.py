"""Tokens: what is signed is what is read back; anything else is refused."""

from __future__ import annotations

import jwt
import pytest

from relais_platform.auth import AuthError, Role, mint_token, verify_token

SECRET = "s" * 40


def test_a_partner_token_round_trips_with_its_scope() -> None:
    token = mint_token(secret=SECRET, role="partner", sub="p1", partner_id="eau-de-loire")
    principal = verify_token(token, secret=SECRET)
    assert (principal.role, principal.partner_id, principal.sub) == (Role.PARTNER, "eau-de-loire", "p1")


@pytest.mark.parametrize(("role", "claim"), [("partner", "partner_id"), ("agent", "agent_id"),
                                             ("supervisor", "site_id")])
def test_a_scoped_role_without_its_claim_is_refused(role: str, claim: str) -> None:
    with pytest.raises(AuthError, match=claim):
        mint_token(secret=SECRET, role=role, sub="x")
    forged = jwt.encode({"sub": "x", "role": role, "iss": "relais", "exp": 9999999999}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match=claim):
        verify_token(forged, secret=SECRET)


def test_wrong_secret_expired_and_unknown_role_are_refused() -> None:
    token = mint_token(secret=SECRET, role="finance", sub="f")
    with pytest.raises(AuthError, match="Signature"):
        verify_token(token, secret="t" * 40)
    expired = mint_token(secret=SECRET, role="finance", sub="f", ttl_seconds=-10)
    with pytest.raises(AuthError, match="expired"):
        verify_token(expired, secret=SECRET)
    odd = jwt.encode({"sub": "x", "role": "root", "iss": "relais", "exp": 9999999999}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="unknown role"):
        verify_token(odd, secret=SECRET)


def test_a_token_signed_with_none_algorithm_is_refused() -> None:
    unsigned = jwt.encode({"sub": "x", "role": "admin", "iss": "relais", "exp": 9999999999}, key=None,
                          algorithm="none")
    with pytest.raises(AuthError):
        verify_token(unsigned, secret=SECRET)
