-- Streamed file uploads: the file's bytes in PostgreSQL (API and worker share no disk), how it reads
-- (charset, separator, header), who is processing it (a lease, so a crashed worker's file is taken over),
-- and how far it got (a checkpoint committed with each chunk of rows).

ALTER TABLE submissions
    ADD COLUMN content_hash    text,              -- sha256 of the file: the same file twice is one submission
    ADD COLUMN idempotency_key text,
    ADD COLUMN filename        text,
    ADD COLUMN file_format     jsonb,             -- {charset, separator, declared_charset, header}
    ADD COLUMN bytes_total     bigint NOT NULL DEFAULT 0 CHECK (bytes_total >= 0),
    ADD COLUMN bytes_read      bigint NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
    ADD COLUMN rows_done       integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),  -- records whose outcome is committed
    ADD COLUMN lease_owner     uuid,
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN error           text;

CREATE UNIQUE INDEX submissions_same_file ON submissions (campaign_id, content_hash)
    WHERE content_hash IS NOT NULL AND status <> 'failed';
CREATE UNIQUE INDEX submissions_idempotency_key ON submissions (campaign_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX submissions_to_process ON submissions (created_at)
    WHERE status IN ('received', 'validating') AND channel IN ('csv', 'xlsx');

CREATE TABLE submission_chunks (
    submission_id uuid NOT NULL REFERENCES submissions (submission_id) ON DELETE CASCADE,
    seq           integer NOT NULL CHECK (seq >= 0),
    data          bytea NOT NULL,
    PRIMARY KEY (submission_id, seq)
);

-- Duplicates across the partner's campaigns are found by reference.
CREATE INDEX cases_partner_ref ON cases (partner_id, external_ref);

-- A duplicate line is reported next to the rejected ones (it is not opened twice, nor silently dropped).
ALTER TABLE rejections ADD COLUMN kind text NOT NULL DEFAULT 'rejected' CHECK (kind IN ('rejected', 'duplicate'));
