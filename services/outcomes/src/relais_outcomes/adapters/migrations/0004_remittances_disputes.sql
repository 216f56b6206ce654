-- Payments received from partners (typed in or imported from a bank statement) and disputes of
-- invoice lines. Matching payments to invoices is computed on read (domain.reconciliation), so a
-- payment recorded late or a new credit note re-explains everything consistently.
CREATE TABLE remittances (
    remittance_id   uuid PRIMARY KEY,
    partner_id      text NOT NULL,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    received_on     date NOT NULL,
    bank_reference  text NOT NULL,
    invoice_numbers text[] NOT NULL DEFAULT '{}',
    source          text NOT NULL CHECK (source IN ('api', 'csv')),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner_id, bank_reference)  -- a bank statement imported twice adds nothing
);
CREATE INDEX remittances_by_partner ON remittances (partner_id, received_on);

CREATE TABLE disputes (
    dispute_id         uuid PRIMARY KEY,
    invoice_number     text NOT NULL REFERENCES invoices (number),
    partner_id         text NOT NULL,
    line_id            uuid REFERENCES invoice_lines (line_id),  -- NULL: the invoice as a whole
    reason             text NOT NULL,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'credited', 'rejected')),
    resolution_reason  text,
    credit_note_number text REFERENCES credit_notes (number),
    opened_by          text NOT NULL,
    opened_at          timestamptz NOT NULL DEFAULT now(),
    resolved_by        text,
    resolved_at        timestamptz,
    CONSTRAINT resolved_has_reason CHECK ((status = 'open') = (resolution_reason IS NULL))
);
CREATE INDEX disputes_by_invoice ON disputes (invoice_number);
