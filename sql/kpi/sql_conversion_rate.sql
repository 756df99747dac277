-- kpi: sql_conversion_rate
-- name: SQL conversion rate
-- name_zh: 销售合格线索转化率
-- formula: leads with mql_at in P and sql_at <= end(P) / leads with mql_at in P
-- numerator: leads with mql_at in P that reached SQL by the end of P
-- denominator: leads with mql_at in P (the MQL count)
-- filters: mql_at in P; net: leads not in the exclusion ledger
-- grains: company; person = the lead's owner; team = the owner's team, else the campaign's; channel of the lead, else of its campaign
-- cycle: month
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..1
-- volume: leads with mql_at in P
-- version: 1
SELECT
    grain,
    entity_id,
    numerator,
    denominator,
    CASE WHEN denominator = 0 THEN NULL ELSE CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) END AS value,
    volume
FROM (
    SELECT
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(person_id) = 0 THEN 'person'
            WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(team_id, person_id, channel, $company_id) AS entity_id,
        sum(CASE WHEN sql_at < $end_at THEN 1 ELSE 0 END) AS numerator,
        count(*) AS denominator,
        count(*) AS volume
    FROM aud_leads
    WHERE month < $month_to
        AND mql_at >= $start_at AND mql_at < $end_at
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
