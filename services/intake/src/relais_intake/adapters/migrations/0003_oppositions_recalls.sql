-- People who objected to being contacted for a partner (by phone or by the partner's reference), and recalls.

CREATE TABLE oppositions (
    partner_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('phone', 'external_ref')),
    value       text NOT NULL,           -- E.164 phone, or the partner's external_ref
    note        text,
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, kind, value)
);

ALTER TABLE cases
    ADD COLUMN recalled_at   timestamptz,
    ADD COLUMN recall_reason text;
