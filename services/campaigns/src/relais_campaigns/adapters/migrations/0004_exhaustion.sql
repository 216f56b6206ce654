-- A case no rule-abiding contact can reach before its campaign ends is `exhausted`: it holds no capacity
-- and waits for the outcomes service to close it as unreachable.
ALTER TABLE cases DROP CONSTRAINT cases_status_check;
ALTER TABLE cases ADD CONSTRAINT cases_status_check
    CHECK (status IN ('waiting', 'unrouted', 'assigned', 'resolved', 'withdrawn', 'exhausted'));
