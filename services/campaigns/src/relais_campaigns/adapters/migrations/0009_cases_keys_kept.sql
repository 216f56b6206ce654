-- Every case the worker opens or assigns re-checked and share-locked its site's and its agent's row through the
-- foreign keys: a quarter of PostgreSQL's work per case in the campaigns bench (the row triggers' queries), for
-- rows the worker had just read. Sites and agents are never deleted nor given another id (an agent leaves by
-- being deactivated; PUT keeps the id); the triggers below make that a rule of the schema, which keeps what the
-- foreign keys guaranteed for the rows that exist. Attempts (written one at a time) keep theirs.
ALTER TABLE cases DROP CONSTRAINT cases_site_id_fkey, DROP CONSTRAINT cases_agent_id_fkey;

CREATE FUNCTION rows_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept for good: cases refer to them', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER sites_are_kept BEFORE DELETE OR UPDATE OF site_id ON sites
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();
CREATE TRIGGER agents_are_kept BEFORE DELETE OR UPDATE OF agent_id ON agents
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();
