"""FastAPI dependencies shared by the outcomes routers: role guards and path parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from relais_outcomes.domain.calendar import PERIOD_PATTERN
from relais_outcomes.domain.invoices import INVOICE_NUMBER_PATTERN
from relais_platform.auth import Role
from relais_platform.http import roles

PartnerId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Period = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Billing month YYYY-MM (Europe/Paris)")]
Number = Annotated[str, Path(pattern=INVOICE_NUMBER_PATTERN, description="REL-YYYY-NNNNNN")]
FinanceOnly = roles(Role.FINANCE, Role.ADMIN)
BillingReader = roles(Role.PARTNER, Role.FINANCE, Role.ADMIN)
