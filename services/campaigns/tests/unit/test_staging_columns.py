"""The staging table of new cases takes NewCase tuples as they are: same columns, same order."""

from __future__ import annotations

from relais_campaigns.adapters.cases_repo import _ARRIVALS, NewCase


def test_the_arrivals_table_has_the_new_case_fields_in_order() -> None:
    assert [column for column, _ in _ARRIVALS] == list(NewCase._fields)
