-- Every case put an entry in cases_by_agent (agent_id, status) — a waiting or unrouted one under a NULL agent — and
-- every assigned one a second in cases_assigned_since. Their only readers look for the cases agents hold (status
-- 'assigned': a worklist, an agent's cases released, housekeeping's pass over the held cases), so one partial index
-- serves them all: one index entry less for every case opened, two for every case queued.
DROP INDEX cases_by_agent;
DROP INDEX cases_assigned_since;
CREATE INDEX cases_held ON cases (agent_id) WHERE status = 'assigned';
