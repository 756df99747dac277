-- kpi: clv
-- name: Customer lifetime value
-- name_zh: 客户终身价值
-- formula: (margin over the 12 months ending end(P) / customers with a paid order in them) * min(1 / annual churn, max lifetime); churn = 1 - customers buying in both the prior and the current 12 months / customers buying in the prior 12 months
-- numerator: margin of paid orders in the 12 months ending end(P) (gross_margin, else amount * margin_rate), company currency
-- denominator: customers with a paid order in those 12 months
-- filters: status = paid; windows [end(P) - 12 months, end(P)) and the 12 months before; net: orders not in the exclusion ledger
-- grains: company; person, team and channel of the customer's owner: whoever took the customer's first paid order, once it was taken (as of the period's end)
-- cycle: year
-- direction: higher
-- unit: money
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: paid orders in the 24 months ending end(P)
-- version: 1
SELECT
    grain,
    entity_id,
    margin AS numerator,
    customers AS denominator,
    CASE
        WHEN customers = 0 OR prior_customers = 0 THEN NULL
        ELSE CAST(margin AS DOUBLE) / CAST(customers AS DOUBLE)
            * least($max_lifetime_years, 1.0 / greatest(1.0 - CAST(retained AS DOUBLE) / CAST(prior_customers AS DOUBLE), 1.0 / $max_lifetime_years))
    END AS value,
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
        coalesce(sum(margin), 0) AS margin,
        sum(bought_now) AS customers,
        sum(bought_prior) AS prior_customers,
        sum(bought_now * bought_prior) AS retained,
        sum(orders_in) AS volume
    FROM (
        SELECT
            o.customer_id,
            coalesce(c.team_id, 'unassigned') AS team_id,
            coalesce(c.person_id, 'unassigned') AS person_id,
            coalesce(c.channel, 'unassigned') AS channel,
            sum(CASE WHEN o.order_at >= $ttm_start_at THEN coalesce(o.margin_base, o.amount_base * $margin_rate) END) AS margin,
            max(CASE WHEN o.order_at >= $ttm_start_at THEN 1 ELSE 0 END) AS bought_now,
            max(CASE WHEN o.order_at < $ttm_start_at THEN 1 ELSE 0 END) AS bought_prior,
            count(*) AS orders_in
        FROM aud_orders AS o
        LEFT JOIN stg_customers AS c ON c.customer_id = o.customer_id AND c.first_order_at < $end_at
        WHERE o.status = 'paid'
            AND o.month >= $prior_ttm_month_from AND o.month < $month_to
            AND o.order_at >= $prior_ttm_start_at AND o.order_at < $end_at
        GROUP BY o.customer_id, c.team_id, c.person_id, c.channel
    ) AS per_customer
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
