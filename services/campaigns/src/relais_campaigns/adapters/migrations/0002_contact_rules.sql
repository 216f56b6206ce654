-- Contact rules: per-partner overrides of the network's defaults, the state contact rules need, escalation.

CREATE TABLE contact_policies (
    partner_id  text PRIMARY KEY,
    -- Only the limits the partner's contract changes (names as in PUT /v1/partners/{id}/contact-rules).
    overrides   jsonb NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- When the case changed channel (phone -> door_to_door) on escalation; NULL = never escalated.
ALTER TABLE cases ADD COLUMN escalated_at timestamptz;
