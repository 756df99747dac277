-- kpi: spend
-- name: Ad spend
-- name_zh: 投放花费
-- formula: sum of cost of ad spend rows dated in P, in the company currency
-- numerator: sum of cost of ad spend rows dated in P, in the company currency
-- denominator: none (a sum)
-- filters: date in P; costs converted at the rate valid on the date; net: rows not in the exclusion ledger
-- grains: company; team and person through the campaign (team, owner), else the row's team_id; channel of the row
-- cycle: month
-- direction: neutral
-- unit: money
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: ad spend rows in P
-- version: 1
SELECT
    CASE
        WHEN grouping(team_id) = 0 THEN 'team'
        WHEN grouping(person_id) = 0 THEN 'person'
        WHEN grouping(channel) = 0 THEN 'channel'
        ELSE 'company'
    END AS grain,
    coalesce(team_id, person_id, channel, $company_id) AS entity_id,
    coalesce(sum(cost_base), 0) AS numerator,
    NULL AS denominator,
    coalesce(sum(cost_base), 0) AS value,
    count(*) AS volume
FROM aud_ad_spend
WHERE month >= $month_from AND month < $month_to
    AND date >= $start_date AND date < $end_date
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
