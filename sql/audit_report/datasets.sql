-- Rows in, excluded by at least one rule, and left (net) per dataset for the period's months.
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
excluded AS (
    SELECT dataset, count(DISTINCT record_key) AS rows_excluded
    FROM exclusions
    WHERE month >= $month_from AND month < $month_to
    GROUP BY dataset
)
SELECT r.dataset, r.rows_in, coalesce(x.rows_excluded, 0) AS rows_excluded, r.rows_in - coalesce(x.rows_excluded, 0) AS rows_net
FROM rows_in AS r
LEFT JOIN excluded AS x ON x.dataset = r.dataset
ORDER BY r.dataset
