-- kpi: roas
-- name: Return on ad spend
-- name_zh: 广告支出回报率
-- formula: attributed revenue in P / spend in P; n/a when spend is 0 (a supporting measure beside mroi)
-- numerator: amount of paid orders with order_at in P, company currency
-- denominator: ad spend dated in P, company currency
-- filters: orders: status = paid, order_at in P; spend: date in P; net: rows not in the exclusion ledger
-- grains: company (all revenue, attributed or not); team, person and channel of the customer's acquisition — every order of a customer credits the campaign of the lead its first paid order came from (its team and owner; the lead's channel), else `unassigned`, so repeat orders credit the campaign that won the customer; spend through its campaign (team, owner), else its team_id, and its own channel
-- cycle: quarter
-- direction: neutral
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: paid orders in P
-- low_volume: volume
-- version: 1
SELECT
    coalesce(s.grain, m.grain) AS grain,
    coalesce(s.entity_id, m.entity_id) AS entity_id,
    coalesce(m.revenue, 0) AS numerator,
    coalesce(s.spend, 0) AS denominator,
    CASE
        WHEN coalesce(s.spend, 0) = 0 THEN NULL
        ELSE CAST(coalesce(m.revenue, 0) AS DOUBLE) / CAST(s.spend AS DOUBLE)
    END AS value,
    coalesce(m.orders, 0) AS volume
FROM (
    SELECT
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(person_id) = 0 THEN 'person'
            WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(team_id, person_id, channel, $company_id) AS entity_id,
        coalesce(sum(cost_base), 0) AS spend
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
        coalesce(sum(amount_base), 0) AS revenue,
        count(*) AS orders
    FROM (
        SELECT
            o.amount_base,
            coalesce(a.team_id, 'unassigned') AS team_id,
            coalesce(a.person_id, 'unassigned') AS person_id,
            coalesce(a.channel, 'unassigned') AS channel
        FROM aud_orders AS o
        LEFT JOIN stg_acquisitions AS a ON a.customer_id = o.customer_id AND a.first_order_at < $end_at
        WHERE o.status = 'paid'
            AND o.month >= $month_from AND o.month < $month_to
            AND o.order_at >= $start_at AND o.order_at < $end_at
    ) AS attributed
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS m ON m.grain = s.grain AND m.entity_id = s.entity_id
