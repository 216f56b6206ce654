-- A billing line is priced by the statement that inserts it, with the tariff version that statement share-locks
-- and reads (adapters/billing_repo.py), so the foreign key re-checked, line by line, a row read a moment before:
-- a fifth of the insert's cost on the billing hot path. Tariff versions are never deleted nor given another id;
-- the trigger below makes that a rule of the schema, which keeps what the foreign key guaranteed.
ALTER TABLE billing_lines DROP CONSTRAINT billing_lines_tariff_version_id_fkey;

CREATE FUNCTION tariff_versions_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tariff version % is kept for good: billing lines and invoices refer to it',
        OLD.tariff_version_id USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER tariff_versions_are_kept BEFORE DELETE OR UPDATE OF tariff_version_id ON tariff_versions
    FOR EACH ROW EXECUTE FUNCTION tariff_versions_are_kept();
