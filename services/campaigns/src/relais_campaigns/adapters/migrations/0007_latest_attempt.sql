-- Each case with its latest attempt (by attempted_at, then recorded_at: a late entry of an earlier call never
-- hides a later one), in one place for every reader: the worklist, the board, the periodic release.
-- A LATERAL ... LIMIT 1 on attempts_by_case: filters on cases apply first, one index probe per case left.
CREATE VIEW cases_latest_attempt AS
SELECT c.*, l.attempted_at AS last_attempted_at, l.result AS last_result, l.callback_at AS last_callback_at,
       l.callback_open_to_site AS last_callback_open_to_site
FROM cases c
LEFT JOIN LATERAL (
    SELECT a.attempted_at, a.result, a.callback_at, a.callback_open_to_site FROM attempts a
    WHERE a.case_id = c.case_id ORDER BY a.attempted_at DESC, a.recorded_at DESC LIMIT 1
) l ON true;
