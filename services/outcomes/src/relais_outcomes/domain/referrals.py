"""Referral follow-up: a referral moves forward only, proposed → accepted → taken_up.

Each step is recorded as a correction of the case's current `referred` outcome (the history keeps every
step and the partner feed publishes it); reaching `taken_up` is what bills `referral_taken_up`.
"""

from __future__ import annotations

from relais_outcomes.domain.outcomes import Outcome, OutcomeDetails
from relais_platform.auth import Principal, Role
from relais_platform.contracts import OutcomeType, Referral, ReferralStatus
from relais_platform.errors import Conflict

REFERRAL_ORDER: tuple[ReferralStatus, ...] = (ReferralStatus.PROPOSED, ReferralStatus.ACCEPTED,
                                              ReferralStatus.TAKEN_UP)


def referral_step(current: Outcome | None, status: ReferralStatus) -> tuple[OutcomeDetails, str]:
    """The details of the follow-up outcome and its correction reason; 409 when the case has no current
    referral or when `status` does not move it forward."""
    if current is None or current.type != OutcomeType.REFERRED or current.details.referral is None:
        raise Conflict("the case's current outcome is not a referral",
                       current_outcome_type=str(current.type) if current else None)
    before = current.details.referral.status
    if REFERRAL_ORDER.index(status) <= REFERRAL_ORDER.index(before):
        raise Conflict(f"referral is already {before}; it only moves forward (proposed → accepted → taken_up)",
                       field="status", current_status=str(before))
    referral = Referral(target=current.details.referral.target, status=status)
    return OutcomeDetails(referral=referral), f"referral follow-up: {before} → {status}"


def may_follow_up_referral(principal: Principal, *, partner_id: str, holder_agent_id: str | None,
                           holder_site_id: str | None) -> bool:
    """The case's last holder agent (even once released), a supervisor of its site, or an admin."""
    match principal.role:
        case Role.ADMIN:
            return True
        case Role.AGENT:
            return holder_agent_id is not None and holder_agent_id == principal.agent_id
        case Role.SUPERVISOR:
            return holder_site_id is not None and holder_site_id == principal.site_id
    return False
