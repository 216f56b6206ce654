-- The contact limits count the person, not the case: every case carries its person's key (domain/person.py:
-- E.164 phone, else normalised postcode + street lines + last name, else the case alone; SHA-256, 32 hex
-- digits), and every attempt the key of its case's person, so the rules read a person's attempts across all
-- their cases (campaigns, partners) with one index probe. New rows get the key from the application (in the
-- COPY rows of the opened-cases path); existing rows are back-filled here with the same definition.

CREATE FUNCTION pg_temp.normalised(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT btrim(regexp_replace(replace(replace(lower(regexp_replace(normalize(coalesce(t, ''), NFKD),
        E'[\u0300-\u036f]', '', 'g')), 'œ', 'oe'), 'æ', 'ae'), '[^a-z0-9]+', ' ', 'g'))
$$;

ALTER TABLE cases ADD COLUMN person_key text;
UPDATE cases SET person_key = left(encode(sha256(convert_to(CASE
    WHEN phone_e164 IS NOT NULL THEN 'tel:' || phone_e164
    WHEN address IS NOT NULL THEN 'addr:' || concat_ws('|', pg_temp.normalised(address ->> 'postcode'),
        pg_temp.normalised(address ->> 'line1'), pg_temp.normalised(address ->> 'line2'),
        pg_temp.normalised(last_name))
    ELSE 'case:' || case_id::text END, 'UTF8')), 'hex'), 32);
ALTER TABLE cases ALTER COLUMN person_key SET NOT NULL;

-- Copied from the case when the attempt is recorded (a case's contact details do not change once opened).
ALTER TABLE attempts ADD COLUMN person_key text;
UPDATE attempts a SET person_key = c.person_key FROM cases c WHERE c.case_id = a.case_id;
ALTER TABLE attempts ALTER COLUMN person_key SET NOT NULL;
-- What the rules read: a person's attempts in time order.
CREATE INDEX attempts_by_person ON attempts (person_key, attempted_at, recorded_at);

-- The view froze the columns of cases when it was created (0007): rebuilt unchanged so it shows person_key.
DROP VIEW cases_latest_attempt;
CREATE VIEW cases_latest_attempt AS
SELECT c.*, l.attempted_at AS last_attempted_at, l.result AS last_result, l.callback_at AS last_callback_at,
       l.callback_open_to_site AS last_callback_open_to_site
FROM cases c
LEFT JOIN LATERAL (
    SELECT a.attempted_at, a.result, a.callback_at, a.callback_open_to_site FROM attempts a
    WHERE a.case_id = c.case_id ORDER BY a.attempted_at DESC, a.recorded_at DESC LIMIT 1
) l ON true;
