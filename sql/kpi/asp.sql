-- kpi: asp
-- name: Average order value
-- name_zh: 客单价
-- formula: revenue(P) / paid orders in P
-- numerator: revenue of paid orders in P, company currency
-- denominator: paid orders in P
-- filters: status = paid; order_at in P; net: orders not in the exclusion ledger
-- grains: company; person = the order's owner; team = the owner's team; channel of the lead the order came from
-- cycle: quarter
-- direction: higher
-- unit: money
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: paid orders in P
-- components: revenue / orders
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
        coalesce(sum(amount_base), 0) AS numerator,
        count(*) AS denominator,
        count(*) AS volume
    FROM aud_orders
    WHERE status = 'paid'
        AND month >= $month_from AND month < $month_to
        AND order_at >= $start_at AND order_at < $end_at
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
