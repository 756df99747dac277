-- kpi: cpl
-- name: Cost per lead
-- name_zh: 单线索成本
-- formula: spend in P / mql_count(P)
-- numerator: ad spend dated in P, company currency
-- denominator: leads with mql_at in P (the MQL count)
-- filters: spend: date in P; leads: mql_at in P; net: rows not in the exclusion ledger
-- grains: company; team: spend through its campaign (else its team_id), MQLs through their owner; person: campaign owner for spend, lead owner for MQLs; channel of the spend row and of the lead
-- cycle: quarter
-- direction: lower
-- unit: money
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: ad spend rows and MQLs in P
-- components: spend / mql_count
-- version: 1
SELECT
    coalesce(s.grain, m.grain) AS grain,
    coalesce(s.entity_id, m.entity_id) AS entity_id,
    coalesce(s.spend, 0) AS numerator,
    coalesce(m.mqls, 0) AS denominator,
    CASE WHEN coalesce(m.mqls, 0) = 0 THEN NULL ELSE CAST(coalesce(s.spend, 0) AS DOUBLE) / CAST(m.mqls AS DOUBLE) END AS value,
    coalesce(s.volume, 0) + coalesce(m.mqls, 0) AS volume
FROM (
    SELECT
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(person_id) = 0 THEN 'person'
            WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(team_id, person_id, channel, $company_id) AS entity_id,
        coalesce(sum(cost_base), 0) AS spend,
        count(*) AS volume
    FROM aud_ad_spend
    WHERE month >= $month_from AND month < $month_to
        AND date >= $start_date AND date < $end_date
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS s
FULL OUTER JOIN (
    SELECT
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(person_id) = 0 THEN 'person'
            WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(team_id, person_id, channel, $company_id) AS entity_id,
        count(*) AS mqls
    FROM aud_leads
    WHERE month < $month_to
        AND mql_at >= $start_at AND mql_at < $end_at
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS m ON m.grain = s.grain AND m.entity_id = s.entity_id
