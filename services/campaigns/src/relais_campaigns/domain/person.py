"""Who a case is about: the key that links the cases of one person, so the contact limits count the person.

A person is their E.164 phone number when the case has one, else their normalised postal address (postcode,
street lines) with their last name, else (no contact details at all) the case alone. The readable identity
is hashed (SHA-256, 128 bits kept), so the attempts table, which carries the key, holds no personal data.
Migration 0008 back-fills existing rows with the same definition in SQL.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def normalised(text: str | None) -> str:
    """Lower case, no accents, one space between words: "Rue de l'Église" -> "rue de l eglise"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().translate(_LIGATURES)
    return _NOT_ALNUM.sub(" ", plain).strip()


def person_identity(*, case_id: uuid.UUID, phone_e164: str | None, address: Mapping[str, Any] | None,
                    last_name: str) -> str:
    """The readable identity of a case's person: `tel:<E.164>`, else `addr:<postcode>|<line1>|<line2>|<name>`,
    else `case:<case_id>`."""
    if phone_e164:
        return f"tel:{phone_e164}"
    if address:
        parts = (address.get("postcode"), address.get("line1"), address.get("line2"), last_name)
        return "addr:" + "|".join(normalised(p) for p in parts)
    return f"case:{case_id}"


def person_key(*, case_id: uuid.UUID, phone_e164: str | None, address: Mapping[str, Any] | None,
               last_name: str) -> str:
    """The pseudonymous key of a case's person (32 hex digits): equal for every case of the same person."""
    identity = person_identity(case_id=case_id, phone_e164=phone_e164, address=address, last_name=last_name)
    return hashlib.sha256(identity.encode()).hexdigest()[:32]
