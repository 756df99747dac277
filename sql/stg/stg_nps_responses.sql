-- Survey responses, attributed to the team the response names. NPS belongs to no person or channel.
SELECT
    CASE WHEN r.key_copy = 1 THEN r.response_id ELSE concat(r.response_id, '#', CAST(r.key_copy AS VARCHAR)) END AS record_key,
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
FROM nps_responses AS r
