-- Sites, agents, the projection of opened cases, and contact attempts.

CREATE TABLE sites (
    site_id           text PRIMARY KEY,
    name              text NOT NULL,
    -- 1-5 leading digits of a postcode, or a Corsican department code.
    postcode_prefixes text[] NOT NULL CHECK (
        cardinality(postcode_prefixes) > 0
        AND array_to_string(postcode_prefixes, ',') ~ '^([0-9]{1,5}|2A|2B)(,([0-9]{1,5}|2A|2B))*$'),
    time_zone         text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    agent_id       text PRIMARY KEY,
    site_id        text NOT NULL REFERENCES sites (site_id),
    display_name   text NOT NULL,
    channels       text[] NOT NULL CHECK (
        cardinality(channels) > 0 AND channels <@ ARRAY['phone', 'door_to_door']::text[]),
    -- For now: the most open cases the agent holds at once.
    daily_capacity integer NOT NULL CHECK (daily_capacity > 0),
    languages      text[] NOT NULL DEFAULT '{fr}',
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_by_site ON agents (site_id, agent_id);

CREATE TABLE cases (
    case_id            uuid PRIMARY KEY,
    partner_id         text NOT NULL,
    campaign_id        uuid NOT NULL,
    external_ref       text NOT NULL,
    first_name         text NOT NULL,
    last_name          text NOT NULL,
    phone_e164         text,
    phone_kind         text,
    address            jsonb,
    postcode           text,
    department         text NOT NULL,
    time_zone          text NOT NULL,
    amount_due_cents   bigint NOT NULL CHECK (amount_due_cents >= 0),
    campaign_priority  smallint NOT NULL DEFAULT 0,
    debt_since         date,
    campaign_ends_on   date,
    channel            text NOT NULL CHECK (channel IN ('phone', 'door_to_door')),
    status             text NOT NULL CHECK (status IN ('waiting', 'unrouted', 'assigned', 'resolved', 'withdrawn')),
    site_id            text REFERENCES sites (site_id),
    agent_id           text REFERENCES agents (agent_id),
    -- Bumped on every change of holder; AssignmentChanged ids derive from (case_id, version, status).
    assignment_version integer NOT NULL DEFAULT 1,
    opened_at          timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    assigned_at        timestamptz,
    resolved_at        timestamptz,
    outcome            text,
    CHECK (status <> 'assigned' OR (agent_id IS NOT NULL AND site_id IS NOT NULL)),
    CHECK (status NOT IN ('waiting', 'unrouted') OR agent_id IS NULL),
    CHECK (status <> 'waiting' OR site_id IS NOT NULL),
    CHECK (status <> 'unrouted' OR site_id IS NULL)
);
-- The queue of each site, in work order.
CREATE INDEX cases_waiting ON cases (site_id, channel, campaign_priority DESC, amount_due_cents DESC, opened_at, case_id)
    WHERE status = 'waiting';
CREATE INDEX cases_by_agent ON cases (agent_id, status);
CREATE INDEX cases_by_site ON cases (site_id, status);
CREATE INDEX cases_unrouted ON cases (postcode) WHERE status = 'unrouted';

-- An outcome that arrived before the case itself (the two topics are not ordered together).
CREATE TABLE early_outcomes (
    case_id     uuid PRIMARY KEY,
    outcome     text NOT NULL,
    resolved_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attempts (
    attempt_id   uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (case_id),
    agent_id     text NOT NULL REFERENCES agents (agent_id),
    site_id      text NOT NULL REFERENCES sites (site_id),
    channel      text NOT NULL CHECK (channel IN ('phone', 'door_to_door')),
    result       text NOT NULL,
    attempted_at timestamptz NOT NULL,
    callback_at  timestamptz,
    -- Free text for the site only: stored, never published.
    note         text CHECK (char_length(note) <= 2000),
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attempts_by_case ON attempts (case_id, attempted_at DESC, recorded_at DESC);
CREATE INDEX attempts_by_site ON attempts (site_id, agent_id);
