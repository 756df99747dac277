-- Rows in, excluded by at least one rule (as GIVT or SIVT), and left (net) per dataset for the period's
-- months.
WITH rows_in AS (
    SELECT 'web_events' AS dataset, count(*) AS rows_in
    FROM stg_web_events
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'leads' AS dataset, count(*) AS rows_in
    FROM stg_leads
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'orders' AS dataset, count(*) AS rows_in
    FROM stg_orders
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'ad_spend' AS dataset, count(*) AS rows_in
    FROM stg_ad_spend
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'social_stats' AS dataset, count(*) AS rows_in
    FROM stg_social_stats
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'customer_activity' AS dataset, count(*) AS rows_in
    FROM stg_customer_activity
    WHERE month >= $month_from AND month < $month_to
    UNION ALL
    SELECT 'nps_responses' AS dataset, count(*) AS rows_in
    FROM stg_nps_responses
    WHERE month >= $month_from AND month < $month_to
),
-- A row's class: GIVT when any GIVT rule caught it, else SIVT, so rows in − GIVT − SIVT = net.
flagged AS (
    SELECT dataset, record_key, bool_or(ivt_class = 'GIVT') AS givt
    FROM exclusions
    WHERE month >= $month_from AND month < $month_to
    GROUP BY dataset, record_key
),
excluded AS (
    SELECT dataset, count(*) AS rows_excluded, count(*) FILTER (WHERE givt) AS rows_givt
    FROM flagged
    GROUP BY dataset
)
SELECT
    r.dataset,
    r.rows_in,
    coalesce(x.rows_givt, 0) AS rows_givt,
    coalesce(x.rows_excluded, 0) - coalesce(x.rows_givt, 0) AS rows_sivt,
    coalesce(x.rows_excluded, 0) AS rows_excluded,
    r.rows_in - coalesce(x.rows_excluded, 0) AS rows_net
FROM rows_in AS r
LEFT JOIN excluded AS x ON x.dataset = r.dataset
ORDER BY r.dataset
