-- Finalised monthly statements (invoices) and the credit notes that correct them. Nothing here is
-- ever updated: a correction is a new credit note. Numbers are gapless per series and year: they come
-- from a counter row updated (so row-locked until commit) inside the finalising transaction; a rolled
-- back transaction gives its number back. Sequences are not used on purpose: they leave gaps.
CREATE TABLE document_counters (
    series      text    NOT NULL CHECK (series IN ('REL', 'AVO')),
    year        integer NOT NULL,
    last_number integer NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
    number            text PRIMARY KEY CHECK (number ~ '^REL-\d{4}-\d{6}$'),
    partner_id        text NOT NULL,
    period            text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    issue_date        date NOT NULL,
    due_date          date NOT NULL,
    tariff_version_id uuid REFERENCES tariff_versions (tariff_version_id),
    subtotal_cents    bigint NOT NULL,
    adjustment_kind   text,
    adjustment_cents  bigint NOT NULL,
    net_cents         bigint NOT NULL,
    vat_rate_bp       integer NOT NULL,
    vat_cents         bigint NOT NULL,
    total_cents       bigint NOT NULL CHECK (total_cents = net_cents + vat_cents),
    finalized_by      text NOT NULL,
    forced            boolean NOT NULL DEFAULT false,  -- finalised by an admin before the grace period ended
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner_id, period)
);
CREATE INDEX invoices_by_partner ON invoices (partner_id, issue_date);

-- The lines an invoice froze. A line is on one invoice at most (primary key on line_id).
CREATE TABLE invoice_lines (
    line_id  uuid PRIMARY KEY REFERENCES billing_lines (line_id),
    number   text NOT NULL REFERENCES invoices (number),
    position integer NOT NULL,
    UNIQUE (number, position)
);

CREATE TABLE credit_notes (
    number         text PRIMARY KEY CHECK (number ~ '^AVO-\d{4}-\d{6}$'),
    invoice_number text NOT NULL REFERENCES invoices (number),
    partner_id     text NOT NULL,
    issue_date     date NOT NULL,
    reason         text NOT NULL,
    line_ids       uuid[] NOT NULL DEFAULT '{}',        -- the invoice lines it cancels, when given per line
    net_cents      bigint NOT NULL CHECK (net_cents > 0),
    vat_cents      bigint NOT NULL CHECK (vat_cents >= 0),
    total_cents    bigint NOT NULL CHECK (total_cents = net_cents + vat_cents),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_notes_by_invoice ON credit_notes (invoice_number);
CREATE INDEX credit_notes_by_partner ON credit_notes (partner_id, issue_date);
