-- kpi: leads
-- name: Leads
-- name_zh: 线索数
-- formula: leads created in P
-- numerator: leads created in P
-- denominator: none (a count)
-- filters: created_at in P; net: leads not in the exclusion ledger
-- grains: company; person = the lead's owner; team = the owner's team, else the campaign's; channel of the lead, else of its campaign
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: leads created in P
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
FROM aud_leads
WHERE month >= $month_from AND month < $month_to
    AND created_at >= $start_at AND created_at < $end_at
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
