"""The person key: one key for every case of one person, by phone number first, else by address and name."""

from __future__ import annotations

import uuid

from relais_campaigns.domain.person import normalised, person_identity, person_key

HOME = {"line1": "12, Rue de l'Église", "line2": None, "postcode": "75011", "city": "Paris"}


def key(phone: str | None = None, address: dict | None = None, last_name: str = "Martin",
        case_id: uuid.UUID | None = None) -> str:
    return person_key(case_id=case_id or uuid.uuid4(), phone_e164=phone, address=address, last_name=last_name)


def test_one_phone_number_is_one_person_whatever_else_differs() -> None:
    assert key("+33612345678", HOME, "Martin") == key("+33612345678", None, "MARTIN-DUPONT")
    assert key("+33612345678") != key("+33612345679")


def test_without_a_phone_the_normalised_address_and_last_name_identify_the_person() -> None:
    same = {"line1": "12 rue de l eglise", "postcode": "75011", "city": "PARIS 11"}  # the city is not used
    assert key(None, HOME, "Lefèvre") == key(None, same, "LEFEVRE")
    assert key(None, HOME, "Lefèvre") != key(None, HOME, "Martin")  # another household member's name
    assert key(None, HOME) != key(None, HOME | {"line2": "Bâtiment B"})  # another flat of the building
    assert key(None, HOME) != key(None, HOME | {"postcode": "75012"})
    assert key(None, HOME) != key("+33612345678", HOME)  # a phone number is a different identity


def test_a_case_without_contact_details_is_a_person_of_its_own() -> None:
    case_id = uuid.uuid4()
    assert key(case_id=case_id) == key(case_id=case_id)
    assert key() != key()


def test_the_key_is_pseudonymous_and_fixed_size() -> None:
    k = key("+33612345678")
    assert len(k) == 32 and int(k, 16) >= 0 and "612345678" not in k
    assert person_identity(case_id=uuid.uuid4(), phone_e164="+33612345678", address=None,
                           last_name="x") == "tel:+33612345678"


def test_normalisation() -> None:
    assert normalised("  Rue de l'Église — Bât. Œ ") == "rue de l eglise bat oe"
    assert normalised(None) == ""
