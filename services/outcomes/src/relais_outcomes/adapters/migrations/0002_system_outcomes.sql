-- Outcomes the system records by itself from other services' events: a partner's recall
-- (relais.cases.recalled.v1) and a case no contact is possible for any more (assignment status
-- `exhausted`). Each is kept here first, so one that arrives before the case is known waits for
-- its CaseOpened; `state` says what became of it and why.
CREATE TABLE system_outcomes (
    event_id     uuid PRIMARY KEY,            -- the evidence event (CaseRecalled, AssignmentChanged)
    outcome_id   uuid NOT NULL UNIQUE,        -- derived_id(type, event_id): replays recreate the same outcome
    case_id      uuid NOT NULL,
    type         text NOT NULL CHECK (type IN ('recalled', 'unreachable')),
    reason       text,
    occurred_at  timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'ignored')),
    state_reason text,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_outcomes_pending ON system_outcomes (case_id, occurred_at) WHERE state = 'pending';

CREATE INDEX outcomes_by_campaign ON outcomes (campaign_id, created_at);
