-- kpi: orders
-- name: Paid orders
-- name_zh: 订单数
-- formula: paid orders with order_at in P
-- numerator: paid orders with order_at in P
-- denominator: none (a count)
-- filters: status = paid; order_at in P; net: orders not in the exclusion ledger
-- grains: company; person = the order's owner; team = the owner's team; channel of the lead the order came from
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: paid orders in P
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
FROM aud_orders
WHERE status = 'paid'
    AND month >= $month_from AND month < $month_to
    AND order_at >= $start_at AND order_at < $end_at
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
