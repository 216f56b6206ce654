-- The cases of a chunk (5,000 rows) are inserted by one statement naming their campaign and submission once, yet
-- each foreign key re-checked and share-locked the same campaign and submission row for every case: a quarter
-- of the insert's cost. Campaigns and submissions are never deleted nor given another id (a campaign closes, a
-- submission ends done or failed); the triggers below make that a rule of the schema, which keeps what the
-- foreign keys guaranteed for the rows that exist.
ALTER TABLE cases DROP CONSTRAINT cases_campaign_id_fkey, DROP CONSTRAINT cases_submission_id_fkey;

CREATE FUNCTION rows_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept for good: cases refer to them', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER campaigns_are_kept BEFORE DELETE OR UPDATE OF campaign_id ON campaigns
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();
CREATE TRIGGER submissions_are_kept BEFORE DELETE OR UPDATE OF submission_id ON submissions
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();

-- "Open in another campaign of the partner" is now looked up through the partner's other active or paused
-- campaigns and their (campaign_id, external_ref) key: no lookup at all when there are none. This index served
-- only that query and cost an index entry per case.
DROP INDEX cases_partner_ref;
