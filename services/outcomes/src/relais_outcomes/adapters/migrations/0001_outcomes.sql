-- Outcomes service: projections of the cases it may resolve, agents' outcomes, partner tariffs and
-- the billing lines derived from published events. Invoices, credit notes and remittances come later
-- and reference billing_lines (by line_id) and tariff_versions; nothing here is edited in place
-- except a tariff version no line was priced with yet.

-- Projection of relais.cases.opened.v1: the facts a case carries that outcomes needs.
CREATE TABLE cases (
    case_id      uuid PRIMARY KEY,
    partner_id   text NOT NULL,
    campaign_id  uuid NOT NULL,
    external_ref text NOT NULL,
    opened_at    timestamptz NOT NULL
);
CREATE INDEX cases_by_partner ON cases (partner_id);

-- Projection of relais.campaigns.assignments.v1: who holds each case now (last changed_at wins).
CREATE TABLE holders (
    case_id    uuid PRIMARY KEY,
    agent_id   text,
    site_id    text,
    status     text NOT NULL,
    changed_at timestamptz NOT NULL
);

-- Final outcomes. A correction is a new row naming the one it supersedes; the old row gets
-- superseded_by, so exactly one row per case has superseded_by NULL: the current outcome.
CREATE TABLE outcomes (
    outcome_id            uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases (case_id),
    partner_id            text NOT NULL,
    campaign_id           uuid NOT NULL,
    type                  text NOT NULL,
    details               jsonb NOT NULL DEFAULT '{}'::jsonb,
    note                  text,                     -- the agent's note: never published to partners
    recorded_by           text NOT NULL,            -- principal subject
    resolved_at           timestamptz NOT NULL,
    supersedes_outcome_id uuid UNIQUE REFERENCES outcomes (outcome_id),
    correction_reason     text,
    superseded_by         uuid REFERENCES outcomes (outcome_id) DEFERRABLE INITIALLY DEFERRED,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT correction_has_reason CHECK ((supersedes_outcome_id IS NULL) = (correction_reason IS NULL))
);
CREATE UNIQUE INDEX outcomes_one_current_per_case ON outcomes (case_id) WHERE superseded_by IS NULL;
CREATE INDEX outcomes_history ON outcomes (case_id, created_at);

-- A partner's tariff, by effective date (Europe/Paris calendar days). Fees in cents, one column per
-- billing kind; VAT in basis points (2000 = 20 %).
CREATE TABLE tariff_versions (
    tariff_version_id        uuid PRIMARY KEY,
    partner_id               text NOT NULL,
    effective_from           date NOT NULL,
    case_closed_cents        bigint NOT NULL DEFAULT 0 CHECK (case_closed_cents >= 0),
    successful_contact_cents bigint NOT NULL DEFAULT 0 CHECK (successful_contact_cents >= 0),
    visit_cents              bigint NOT NULL DEFAULT 0 CHECK (visit_cents >= 0),
    payment_plan_cents       bigint NOT NULL DEFAULT 0 CHECK (payment_plan_cents >= 0),
    referral_taken_up_cents  bigint NOT NULL DEFAULT 0 CHECK (referral_taken_up_cents >= 0),
    vat_rate_bp              integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    monthly_minimum_cents    bigint CHECK (monthly_minimum_cents >= 0),
    monthly_cap_cents        bigint CHECK (monthly_cap_cents >= 0),
    created_at               timestamptz NOT NULL DEFAULT now(),
    created_by               text NOT NULL,
    UNIQUE (partner_id, effective_from),
    CONSTRAINT cap_not_below_minimum CHECK (
        monthly_cap_cents IS NULL OR monthly_minimum_cents IS NULL OR monthly_cap_cents >= monthly_minimum_cents)
);

-- One billable unit of work. line_id = derived_id(kind, evidence event id), so replaying or
-- redelivering the evidence never adds a line.
CREATE TABLE billing_lines (
    line_id            uuid PRIMARY KEY,
    partner_id         text NOT NULL,
    case_id            uuid NOT NULL,
    campaign_id        uuid NOT NULL,
    kind               text NOT NULL,
    amount_cents       bigint NOT NULL CHECK (amount_cents >= 0),
    tariff_version_id  uuid REFERENCES tariff_versions (tariff_version_id),  -- NULL: unpriced work
    period             text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    occurred_at        timestamptz NOT NULL,
    evidence_event_ids uuid[] NOT NULL CHECK (cardinality(evidence_event_ids) >= 1),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_lines_statement ON billing_lines (partner_id, period, occurred_at);
CREATE INDEX billing_lines_by_tariff ON billing_lines (tariff_version_id);
-- A case is closed (and its plan or referral billed) once, however many corrections follow.
CREATE UNIQUE INDEX billing_lines_once_per_case ON billing_lines (case_id, kind)
    WHERE kind IN ('case_closed', 'payment_plan', 'referral_taken_up');
