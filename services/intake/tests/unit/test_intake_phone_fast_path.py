"""The fast reading of plain mainland mobiles agrees with libphonenumber on every number it accepts."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from relais_intake.domain import phones

_FORMS = (
    lambda d: d, lambda d: " ".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: ".".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: "-".join([d[:2], d[2:4], d[4:6], d[6:8], d[8:]]),
    lambda d: f"+33 {d[1:]}", lambda d: f"+33{d[1:]}", lambda d: f"0033{d[1:]}", lambda d: f"+33(0){d[1:]}",
)


def _full_reading(text: str) -> tuple[str, str, str | None] | None:
    number = phones._overseas_reading(phonenumbers.parse(text, "FR"))
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    region = phonenumbers.region_code_for_number(number) or ""
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), phones._KINDS.get(kind, "other"),
            phones.DEPARTMENT_OF_REGION.get(region))


@settings(max_examples=3000)
@given(st.sampled_from("0123456789"), st.text("0123456789", min_size=8, max_size=8), st.sampled_from(_FORMS))
def test_fast_path_agrees_with_libphonenumber(second: str, rest: str, form) -> None:
    text = form(f"0{second}{rest}")
    fast = phones._mainland_fast(text)
    if fast is not None:
        assert (fast.e164, fast.kind, fast.department) == _full_reading(text)


@settings(max_examples=3000)
@given(st.sampled_from(sorted(p for p in phones._OVERSEAS_PREFIXES if p[0] in "67")),
       st.text("0123456789", min_size=5, max_size=6), st.sampled_from(_FORMS))
def test_overseas_blocks_read_as_libphonenumber_reads_them(prefix: str, rest: str, form) -> None:
    text = form(f"0{prefix}{rest}"[:10].ljust(10, "0"))
    fast = phones._mainland_fast(text)
    full = _full_reading(text)
    assert (fast.e164, fast.kind, fast.department) == full if fast is not None else full is None


def test_fast_path_leaves_landlines_and_unassigned_blocks_to_libphonenumber() -> None:
    for text in ("01 42 68 53 00", "07 00 12 34 56", "0712345678"):
        assert phones._mainland_fast(text) is None
    reunion = phones._mainland_fast("06 92 12 34 56")
    assert reunion is not None and (reunion.e164, reunion.department) == ("+262692123456", "974")
    assert phones.parse_phone("06 92 12 34 56") == reunion
