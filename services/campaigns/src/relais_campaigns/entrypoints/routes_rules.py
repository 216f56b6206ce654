"""HTTP routes of the contact rules a partner's contract sets, and of the test clock (local/test stacks)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from relais_campaigns.adapters import rules_repo
from relais_campaigns.entrypoints.deps import AdminPrincipal, Now, PartnerId, StaffPrincipal, transaction
from relais_campaigns.entrypoints.schemas import Body
from relais_platform.errors import NotFound, Unprocessable
from relais_platform.http import Pool

router = APIRouter(tags=["contact rules"])
ERRORS = {401: {}, 403: {}, 404: {}, 422: {}}
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WindowBody(Body):
    """A daily window [start, end) in the customer's local time."""

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> WindowBody:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


Windows = Annotated[list[WindowBody], Field(min_length=1, max_length=6)]
Days = Annotated[list[Day], Field(min_length=1, max_length=7)]


class ContactRulesBody(Body):
    """The limits a partner's contract changes; a field left out keeps the network default."""

    phone_windows: Windows | None = None
    visit_windows: Windows | None = None
    phone_days: Days | None = None
    visit_days: Days | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=30, description="per rolling period, both channels")
    attempts_period_days: int | None = Field(default=None, ge=1, le=365)
    refusal_cooldown_days: int | None = Field(default=None, ge=0, le=730)
    min_gap_minutes: int | None = Field(default=None, ge=0, le=10_080)
    escalate_after_failed_calls: int | None = Field(default=None, ge=1, le=30)


class ContactRulesOut(BaseModel):
    """A partner's overrides and the rules in force for its cases."""

    partner_id: str
    overrides: dict[str, Any]
    effective: dict[str, Any]


# A test clock far from today makes no sense and overflows date arithmetic in the rules (years 1 or 9999).
CLOCK_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


class ClockBody(Body):
    """The instant the service clock should read now (between 2000 and 2100)."""

    now: AwareDatetime

    @field_validator("now")
    @classmethod
    def _plausible(cls, now: datetime) -> datetime:
        if not CLOCK_RANGE[0] <= now < CLOCK_RANGE[1]:
            raise ValueError("the test clock must read a moment between 2000-01-01 and 2100-01-01")
        return now


class ClockOut(BaseModel):
    """What the service clock reads."""

    now: AwareDatetime
    offset_seconds: float


def _rules_out(partner_id: str, overrides: dict[str, Any]) -> ContactRulesOut:
    return ContactRulesOut(partner_id=partner_id, overrides=overrides,
                           effective=rules_repo.overrides_of(rules_repo.policy_of(overrides)))


@router.put("/partners/{partner_id}/contact-rules", response_model=ContactRulesOut, responses=ERRORS)
async def put_contact_rules(partner_id: PartnerId, body: ContactRulesBody, principal: AdminPrincipal,
                            pool: Pool) -> ContactRulesOut:
    """Set the contact rules of a partner's contract (replaces earlier overrides; {} = defaults). Admin."""
    overrides = body.model_dump(mode="json", exclude_none=True)
    try:
        rules_repo.policy_of(overrides)
    except ValueError as exc:
        field = next((f for f in ("phone_windows", "visit_windows") if f in overrides), "body")
        raise Unprocessable(str(exc), field=field) from exc
    async with transaction(pool) as conn:
        await rules_repo.put_overrides(conn, partner_id=partner_id, overrides=overrides, by=principal.sub)
    return _rules_out(partner_id, overrides)


@router.get("/partners/{partner_id}/contact-rules", response_model=ContactRulesOut, responses=ERRORS)
async def get_contact_rules(partner_id: PartnerId, _principal: StaffPrincipal, pool: Pool) -> ContactRulesOut:
    """The contact rules in force for a partner's cases. Admins and supervisors."""
    async with transaction(pool) as conn:
        return _rules_out(partner_id, await rules_repo.overrides_for(conn, partner_id=partner_id))


def _test_clock(request: Request) -> Any:
    if not request.app.state.settings.test_clock_allowed or not hasattr(request.app.state.clock, "set_now"):
        raise NotFound("no test clock in production")
    return request.app.state.clock


@router.put("/admin/clock", response_model=ClockOut, responses=ERRORS)
async def put_clock(body: ClockBody, request: Request, _principal: AdminPrincipal) -> ClockOut:
    """Set the service clock (local and test stacks only; 404 in production), e.g. to run end-to-end
    tests of the contact rules at a permitted moment. Admin."""
    clock = _test_clock(request)
    clock.set_now(body.now)
    return ClockOut(now=clock.now(), offset_seconds=getattr(clock, "offset", body.now - body.now).total_seconds())


@router.get("/admin/clock", response_model=ClockOut, responses=ERRORS)
async def get_clock(request: Request, _principal: AdminPrincipal, now: Now) -> ClockOut:
    """What the service clock reads. Admin."""
    offset = getattr(request.app.state.clock, "offset", now - now)
    return ClockOut(now=now, offset_seconds=offset.total_seconds())
