-- kpi: repeat_customers
-- name: Repeat customers
-- name_zh: 复购客户数
-- formula: distinct customers with a paid order in P who had a paid order before P
-- numerator: distinct customers buying in P who bought before start(P)
-- denominator: none (a count)
-- filters: status = paid; net: orders not in the exclusion ledger
-- grains: company; person, team and channel of the customer's owner: whoever took the customer's first paid order, once it was taken (as of the period's end)
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: no
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
    sum(bought_before) AS numerator,
    NULL AS denominator,
    sum(bought_before) AS value,
    sum(orders_in_period) AS volume
FROM (
    SELECT
        o.customer_id,
        coalesce(c.team_id, 'unassigned') AS team_id,
        coalesce(c.person_id, 'unassigned') AS person_id,
        coalesce(c.channel, 'unassigned') AS channel,
        max(CASE WHEN o.order_at < $start_at THEN 1 ELSE 0 END) AS bought_before,
        sum(CASE WHEN o.order_at >= $start_at THEN 1 ELSE 0 END) AS orders_in_period
    FROM aud_orders AS o
    LEFT JOIN stg_customers AS c ON c.customer_id = o.customer_id AND c.first_order_at < $end_at
    WHERE o.status = 'paid' AND o.month < $month_to AND o.order_at < $end_at
    GROUP BY o.customer_id, c.team_id, c.person_id, c.channel
    HAVING sum(CASE WHEN o.order_at >= $start_at THEN 1 ELSE 0 END) > 0
) AS per_customer
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
