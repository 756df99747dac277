-- kpi: revenue
-- name: Sales revenue
-- name_zh: 销售额
-- formula: sum of amount of paid orders with order_at in P, in the company currency
-- numerator: sum of amount of paid orders with order_at in P, in the company currency
-- denominator: none (a sum)
-- filters: status = paid; order_at in P; amounts converted at the rate valid on the order's date; net: orders not in the exclusion ledger
-- grains: company; person = the order's owner; team = the owner's team; channel of the lead the order came from
-- cycle: month
-- direction: higher
-- unit: money
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
    coalesce(sum(amount_base), 0) AS numerator,
    NULL AS denominator,
    coalesce(sum(amount_base), 0) AS value,
    count(*) AS volume
FROM aud_orders
WHERE status = 'paid'
    AND month >= $month_from AND month < $month_to
    AND order_at >= $start_at AND order_at < $end_at
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
