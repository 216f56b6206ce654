-- How many open cases each agent holds, kept by PostgreSQL itself (one statement-level trigger per change
-- of cases), so assignment reads a site's loads in one index lookup instead of counting every held case.
ALTER TABLE agents ADD COLUMN open_cases integer NOT NULL DEFAULT 0 CHECK (open_cases >= 0);
UPDATE agents g SET open_cases = h.n
FROM (SELECT agent_id, count(*) AS n FROM cases WHERE status = 'assigned' GROUP BY agent_id) h
WHERE h.agent_id = g.agent_id;

-- A trigger with transition tables serves one event: one function per event.
CREATE FUNCTION count_open_cases_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agents g SET open_cases = g.open_cases + n.d
    FROM (SELECT agent_id, count(*) AS d FROM new_rows WHERE status = 'assigned' GROUP BY agent_id) n
    WHERE g.agent_id = n.agent_id;
    RETURN NULL;
END $$;

CREATE FUNCTION count_open_cases_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agents g SET open_cases = g.open_cases + delta.d
    FROM (SELECT agent_id, sum(d) AS d FROM (
            SELECT agent_id, 1 AS d FROM new_rows WHERE status = 'assigned'
            UNION ALL SELECT agent_id, -1 FROM old_rows WHERE status = 'assigned') c
          GROUP BY agent_id) delta
    WHERE g.agent_id = delta.agent_id AND delta.d <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION count_open_cases_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE agents g SET open_cases = g.open_cases - o.d
    FROM (SELECT agent_id, count(*) AS d FROM old_rows WHERE status = 'assigned' GROUP BY agent_id) o
    WHERE g.agent_id = o.agent_id;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_open_count_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_open_cases_insert();
CREATE TRIGGER cases_open_count_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_open_cases_update();
CREATE TRIGGER cases_open_count_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_open_cases_delete();
