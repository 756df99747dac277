-- kpi: win_rate
-- name: Close rate
-- name_zh: 成单率
-- formula: leads with sql_at in P and a paid order (by lead_id) with order_at <= end(P) / leads with sql_at in P
-- numerator: leads with sql_at in P that have a paid order placed by the end of P
-- denominator: leads with sql_at in P (SQLs)
-- filters: sql_at in P; orders: status = paid, order_at before end(P); net: leads and orders not in the exclusion ledger
-- grains: company; person = the lead's owner; team = the owner's team, else the campaign's; channel of the lead, else of its campaign
-- cycle: quarter
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..1
-- volume: leads with sql_at in P
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
        sum(CASE WHEN won.lead_id IS NULL THEN 0 ELSE 1 END) AS numerator,
        count(*) AS denominator,
        count(*) AS volume
    FROM aud_leads AS l
    LEFT JOIN (
        SELECT DISTINCT lead_id
        FROM aud_orders
        WHERE status = 'paid' AND lead_id IS NOT NULL AND month < $month_to AND order_at < $end_at
    ) AS won ON won.lead_id = l.lead_id
    WHERE l.month < $month_to
        AND l.sql_at >= $start_at AND l.sql_at < $end_at
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
