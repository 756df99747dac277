-- kpi: cac
-- name: Customer acquisition cost
-- name_zh: 获客成本
-- formula: spend in P / new paying customers in P; n/a when either is 0 (no spend buys nothing, and no new customer has no cost per head)
-- numerator: ad spend dated in P, company currency
-- denominator: customers whose first paid order is in P (and, net, survived the audit)
-- filters: spend: date in P; customers: first paid order (ties: lower order id) with order_at in P; net: rows not in the exclusion ledger
-- grains: company (every new customer, with a lead or not); team, person and channel of the acquisition — a customer belongs to the campaign of the lead its first paid order came from (its team and owner; the lead's channel), else `unassigned`; spend through its campaign (team, owner), else its team_id, and its own channel
-- cycle: quarter
-- direction: lower
-- unit: money
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: ad spend rows and new paying customers in P
-- version: 1
SELECT
    coalesce(s.grain, n.grain) AS grain,
    coalesce(s.entity_id, n.entity_id) AS entity_id,
    coalesce(s.spend, 0) AS numerator,
    coalesce(n.customers, 0) AS denominator,
    CASE
        WHEN coalesce(n.customers, 0) = 0 OR coalesce(s.spend, 0) = 0 THEN NULL
        ELSE CAST(s.spend AS DOUBLE) / CAST(n.customers AS DOUBLE)
    END AS value,
    coalesce(s.volume, 0) + coalesce(n.customers, 0) AS volume
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
            WHEN grouping(a.team_id) = 0 THEN 'team'
            WHEN grouping(a.person_id) = 0 THEN 'person'
            WHEN grouping(a.channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(a.team_id, a.person_id, a.channel, $company_id) AS entity_id,
        count(*) AS customers
    FROM stg_acquisitions AS a
    WHERE a.first_order_at >= $start_at AND a.first_order_at < $end_at
        AND EXISTS (
            SELECT 1 FROM aud_orders AS o
            WHERE o.record_key = a.first_order_key AND o.month >= $month_from AND o.month < $month_to
        )
    GROUP BY GROUPING SETS ((), (a.team_id), (a.person_id), (a.channel))
) AS n ON n.grain = s.grain AND n.entity_id = s.entity_id
