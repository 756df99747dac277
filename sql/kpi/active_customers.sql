-- kpi: active_customers
-- name: Active customers
-- name_zh: 活跃客户数
-- formula: distinct customers with a customer_activity row or a paid order in P
-- numerator: distinct customers active in P
-- denominator: none (a count)
-- filters: active_at / order_at in P; orders: status = paid; net: rows not in the exclusion ledger
-- grains: company; person, team and channel of the customer's owner: whoever took the customer's first paid order, once it was taken (as of the period's end)
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: no
-- bounds: 0..
-- volume: activity rows and paid orders in P
-- version: 1
SELECT
    CASE
        WHEN grouping(team_id) = 0 THEN 'team'
        WHEN grouping(person_id) = 0 THEN 'person'
        WHEN grouping(channel) = 0 THEN 'channel'
        ELSE 'company'
    END AS grain,
    coalesce(team_id, person_id, channel, $company_id) AS entity_id,
    count(DISTINCT a.customer_id) AS numerator,
    NULL AS denominator,
    count(DISTINCT a.customer_id) AS value,
    count(*) AS volume
FROM (
    SELECT
        a.customer_id,
        coalesce(c.team_id, 'unassigned') AS team_id,
        coalesce(c.person_id, 'unassigned') AS person_id,
        coalesce(c.channel, 'unassigned') AS channel
    FROM (
        SELECT customer_id
        FROM aud_customer_activity
        WHERE month >= $month_from AND month < $month_to
            AND active_at >= $start_at AND active_at < $end_at
        UNION ALL
        SELECT customer_id
        FROM aud_orders
        WHERE status = 'paid'
            AND month >= $month_from AND month < $month_to
            AND order_at >= $start_at AND order_at < $end_at
    ) AS a
    LEFT JOIN stg_customers AS c ON c.customer_id = a.customer_id AND c.first_order_at < $end_at
) AS a
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
