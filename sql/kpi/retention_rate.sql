-- kpi: retention_rate
-- name: Customer retention
-- name_zh: 客户留存率
-- formula: customers active in P and in P-1 / customers active in P-1
-- numerator: customers active in the previous period who are active again in P
-- denominator: customers active in the previous period (P-1: the month, quarter, half or year before P)
-- filters: active = a customer_activity row or a paid order; net: rows not in the exclusion ledger
-- grains: company; person, team and channel of the customer's owner: whoever took the customer's first paid order, once it was taken (as of the period's end)
-- cycle: quarter
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..1
-- volume: activity rows and paid orders in P-1 and P
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
        sum(active_before * active_now) AS numerator,
        sum(active_before) AS denominator,
        sum(rows_in) AS volume
    FROM (
        SELECT
            a.customer_id,
            coalesce(c.team_id, 'unassigned') AS team_id,
            coalesce(c.person_id, 'unassigned') AS person_id,
            coalesce(c.channel, 'unassigned') AS channel,
            max(CASE WHEN a.at < $start_at THEN 1 ELSE 0 END) AS active_before,
            max(CASE WHEN a.at >= $start_at THEN 1 ELSE 0 END) AS active_now,
            count(*) AS rows_in
        FROM (
            SELECT customer_id, active_at AS at
            FROM aud_customer_activity
            WHERE month >= $prev_month_from AND month < $month_to
                AND active_at >= $prev_start_at AND active_at < $end_at
            UNION ALL
            SELECT customer_id, order_at AS at
            FROM aud_orders
            WHERE status = 'paid'
                AND month >= $prev_month_from AND month < $month_to
                AND order_at >= $prev_start_at AND order_at < $end_at
        ) AS a
        LEFT JOIN stg_customers AS c ON c.customer_id = a.customer_id AND c.first_order_at < $end_at
        GROUP BY a.customer_id, c.team_id, c.person_id, c.channel
    ) AS per_customer
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
