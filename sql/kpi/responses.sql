-- kpi: responses
-- name: Survey responses
-- name_zh: 问卷回复数
-- formula: NPS responses submitted in P
-- numerator: NPS responses submitted in P
-- denominator: none (a count)
-- filters: submitted_at in P; net: responses not in the exclusion ledger
-- grains: company; team named by the response; person and channel: unassigned
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: responses in P
-- version: 1
SELECT
    CASE
        WHEN grouping(team_id) = 0 THEN 'team'
        WHEN grouping(person_id) = 0 THEN 'person'
        WHEN grouping(channel) = 0 THEN 'channel'
        ELSE 'company'
    END AS grain,
    coalesce(team_id, person_id, channel, $company_id) AS entity_id,
    count(*) AS numerator,
    NULL AS denominator,
    count(*) AS value,
    count(*) AS volume
FROM aud_nps_responses
WHERE month >= $month_from AND month < $month_to
    AND submitted_at >= $start_at AND submitted_at < $end_at
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
