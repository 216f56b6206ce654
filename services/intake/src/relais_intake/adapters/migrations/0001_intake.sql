-- Intake: partners' campaigns, the cases they hand over, each submission of a batch and its rejected lines.

CREATE TABLE campaigns (
    campaign_id        uuid PRIMARY KEY,
    partner_id         text NOT NULL,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status             text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'closed')),
    -- The consent / legal statement under which the partner transfers its customers' data.
    legal_basis        text NOT NULL CHECK (length(btrim(legal_basis)) > 0),
    starts_on          date NOT NULL,
    ends_on            date NOT NULL,
    channel_preference text CHECK (channel_preference IN ('phone', 'door_to_door')),
    priority           integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
    tariff_ref         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX campaigns_partner ON campaigns (partner_id);

CREATE TABLE submissions (
    submission_id uuid PRIMARY KEY,
    campaign_id   uuid NOT NULL REFERENCES campaigns (campaign_id),
    partner_id    text NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('json', 'csv', 'xlsx', 'kafka')),
    status        text NOT NULL CHECK (status IN ('received', 'validating', 'done', 'failed')),
    rows_read     integer NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    accepted      integer NOT NULL DEFAULT 0 CHECK (accepted >= 0),
    rejected      integer NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    duplicates    integer NOT NULL DEFAULT 0 CHECK (duplicates >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX submissions_campaign ON submissions (campaign_id);

CREATE TABLE cases (
    case_id          uuid PRIMARY KEY,   -- ids.case_id_for(partner_id, campaign_id, external_ref)
    campaign_id      uuid NOT NULL REFERENCES campaigns (campaign_id),
    partner_id       text NOT NULL,
    external_ref     text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 64),
    first_name       text NOT NULL,
    last_name        text NOT NULL,
    phone_e164       text,
    phone_kind       text CHECK (phone_kind IN ('mobile', 'landline', 'other')),
    address          jsonb,
    postcode         text CHECK (postcode ~ '^[0-9]{5}$'),
    department       text NOT NULL,
    time_zone        text NOT NULL,
    amount_due_cents bigint NOT NULL CHECK (amount_due_cents > 0),
    debt_since       date,
    extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'open',
    submission_id    uuid NOT NULL REFERENCES submissions (submission_id),
    opened_at        timestamptz NOT NULL,
    UNIQUE (campaign_id, external_ref),
    CHECK (phone_e164 IS NOT NULL OR address IS NOT NULL)
);
CREATE INDEX cases_campaign_status ON cases (campaign_id, status);

CREATE TABLE rejections (
    submission_id uuid NOT NULL REFERENCES submissions (submission_id),
    line          integer NOT NULL CHECK (line >= 1),
    external_ref  text,
    raw           jsonb NOT NULL,
    reasons       jsonb NOT NULL,        -- [{field, code, reason}]
    PRIMARY KEY (submission_id, line)
);
