-- Survey responses, attributed to the team the response names. NPS belongs to no person or channel.
SELECT
    CASE WHEN r.copy = 1 THEN r.response_id ELSE concat(r.response_id, '#', CAST(r.copy AS VARCHAR)) END AS record_key,
    r.response_id,
    r.submitted_at,
    r.score,
    r.customer_id,
    coalesce(r.team_id, 'unassigned') AS team_id,
    'unassigned' AS person_id,
    'unassigned' AS channel,
    r.month,
    r.source_file,
    r.source_line
FROM (
    SELECT *, row_number() OVER (PARTITION BY month, response_id ORDER BY source_file, source_line) AS copy
    FROM nps_responses
) AS r
