"""HTTP request and response bodies of the intake API (the edge: JSON in, domain objects out)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationInfo, field_validator

from relais_intake.domain.batch import CaseResult
from relais_intake.domain.campaign import Campaign
from relais_intake.domain.submission import Submission
from relais_intake.service_layer.campaigns import CampaignOverview
from relais_intake.service_layer.submissions import SubmissionReport
from relais_platform.contracts import Channel, Slug

MAX_CASES_PER_BATCH = 10_000

# A case's fields are taken loosely (any JSON scalar) so that one bad line is rejected on its own, with its
# reasons, instead of failing the whole batch; only a payload of the wrong shape (a list for a name) is a 422.
Scalar = Annotated[str | int | float | bool | None, Field(union_mode="smart")]


class CampaignIn(BaseModel):
    """A new campaign. `partner_id` is taken from a partner's token; an admin must give it."""

    model_config = ConfigDict(extra="forbid")

    partner_id: Slug | None = None
    name: StrictStr = Field(min_length=1, max_length=200)
    legal_basis: StrictStr = Field(min_length=1, max_length=2000,
                                   description="The consent or legal statement under which the data is transferred")
    starts_on: date
    ends_on: date
    status: Literal["active", "draft"] = "active"
    channel_preference: Channel | None = None
    priority: StrictInt = Field(default=0, ge=0, le=9)
    tariff_ref: StrictStr | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("name", "legal_basis")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("may not be blank")
        return value.strip()

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and value < starts_on:
            raise ValueError("ends_on must be on or after starts_on")
        return value


class CampaignOut(BaseModel):
    """A campaign."""

    campaign_id: uuid.UUID
    partner_id: str
    name: str
    status: str
    legal_basis: str
    starts_on: date
    ends_on: date
    channel_preference: str | None
    priority: int
    tariff_ref: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignOut:
        """From the domain campaign."""
        return cls.model_validate(campaign, from_attributes=True)


class CampaignDetailOut(CampaignOut):
    """A campaign with its number of cases per status and of submissions."""

    cases: dict[str, int]
    cases_total: int
    submissions: int

    @classmethod
    def of_overview(cls, overview: CampaignOverview) -> CampaignDetailOut:
        """From the handler's overview."""
        base = CampaignOut.of(overview.campaign).model_dump()
        return cls(**base, cases=overview.cases_by_status, cases_total=sum(overview.cases_by_status.values()),
                   submissions=overview.submissions)


class CaseIn(BaseModel):
    """One case as the partner sends it. Fields outside this list are kept in `extra`."""

    model_config = ConfigDict(extra="allow")

    external_ref: Scalar = Field(default=None, description="The partner's reference, 1-64 of [A-Za-z0-9._/-]")
    first_name: Scalar = None
    last_name: Scalar = None
    phone: Scalar = Field(default=None, description="French or overseas number in any usual form")
    address: dict[str, Scalar] | Scalar = Field(
        default=None, description="{line1, line2?, postcode (5 digits), city, latitude?, longitude?}")
    postcode: Scalar = Field(default=None, description="The customer's postcode when no address is given")
    amount_due: Scalar = Field(default=None, description="Euros: 1234.56, \"1 234,56 €\", 12.5 ...")
    debt_since: Scalar = Field(default=None, description="YYYY-MM-DD or dd/mm/yyyy, not in the future")
    extra: dict[str, Any] | None = None


class CasesIn(BaseModel):
    """A batch of cases for one campaign."""

    model_config = ConfigDict(extra="forbid")

    cases: list[CaseIn] = Field(min_length=1, max_length=MAX_CASES_PER_BATCH)


class ReasonOut(BaseModel):
    """A problem (or warning) with one field of one case."""

    field: str
    code: str
    reason: str


class CaseResultOut(BaseModel):
    """What happened to one case of the batch."""

    index: int
    line: int
    external_ref: str | None
    status: Literal["accepted", "rejected", "duplicate"]
    case_id: uuid.UUID | None
    reasons: list[ReasonOut]
    warnings: list[ReasonOut]


class SubmissionOut(BaseModel):
    """A submission and its counts."""

    submission_id: uuid.UUID
    campaign_id: uuid.UUID
    partner_id: str
    channel: str
    status: str
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    created_at: datetime
    finished_at: datetime | None
    progress: float = Field(description="0 to 1: how much of the file has been processed")
    filename: str | None = None
    bytes_total: int = 0
    charset: str | None = None
    separator: str | None = None
    error: str | None = Field(default=None, description="why the file as a whole was refused (status failed)")
    rejections_url: str

    @classmethod
    def of(cls, submission: Submission) -> SubmissionOut:
        """From the domain submission."""
        fmt = submission.file_format or {}
        return cls.model_validate({
            **{name: getattr(submission, name) for name in (
                "submission_id", "campaign_id", "partner_id", "channel", "status", "rows_read", "accepted",
                "rejected", "duplicates", "created_at", "finished_at", "progress", "filename", "bytes_total",
                "error")},
            "charset": fmt.get("charset"), "separator": fmt.get("separator"),
            "rejections_url": f"/v1/submissions/{submission.submission_id}/rejections.csv"})


class SubmissionResultOut(SubmissionOut):
    """A processed batch: counts and one result per case, in the order sent."""

    results: list[CaseResultOut]

    @classmethod
    def body_of(cls, report: SubmissionReport) -> dict[str, Any]:
        """The JSON body for the handler's report, built without a model per line (batches are large)."""
        body = SubmissionOut.of(report.submission).model_dump(mode="json")
        body["results"] = [_result_body(r) for r in report.results]
        return body


def _result_body(result: CaseResult) -> dict[str, Any]:
    """A CaseResultOut as plain JSON."""
    return {"index": result.index, "line": result.line, "external_ref": result.external_ref,
            "status": str(result.status), "case_id": str(result.case_id) if result.case_id else None,
            "reasons": [r.as_dict() for r in result.reasons], "warnings": [w.as_dict() for w in result.warnings]}
