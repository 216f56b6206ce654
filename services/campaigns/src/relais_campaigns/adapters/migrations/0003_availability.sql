-- Availability: the days a site opens and whose holidays it keeps, the days an agent works, absences.

ALTER TABLE sites ADD COLUMN opening_days text[] NOT NULL DEFAULT '{mon,tue,wed,thu,fri}'
    CHECK (cardinality(opening_days) > 0 AND opening_days <@ ARRAY['mon','tue','wed','thu','fri','sat','sun']);
-- The department whose public holidays close the site (Alsace-Moselle and overseas have their own).
ALTER TABLE sites ADD COLUMN holiday_department text NOT NULL DEFAULT '75'
    CHECK (holiday_department ~ '^([0-9]{2}|2A|2B|97[1-6])$');

ALTER TABLE agents ADD COLUMN working_days text[] NOT NULL DEFAULT '{mon,tue,wed,thu,fri}'
    CHECK (cardinality(working_days) > 0 AND working_days <@ ARRAY['mon','tue','wed','thu','fri','sat','sun']);

-- An agent is absent from starts_on to ends_on, both included, in the site's calendar.
CREATE TABLE absences (
    agent_id  text NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
    starts_on date NOT NULL,
    ends_on   date NOT NULL CHECK (ends_on >= starts_on),
    PRIMARY KEY (agent_id, starts_on)
);

-- Cases held longest without an attempt, for the periodic release of untouched cases.
CREATE INDEX cases_assigned_since ON cases (assigned_at) WHERE status = 'assigned';
