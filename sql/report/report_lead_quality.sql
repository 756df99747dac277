-- MQL quality fed back to marketing: the period's MQLs (mql_at in P) by campaign — leads without a
-- campaign grouped by channel — with how many sales accepted as SQL by the period's end, how many of
-- those were won (a paid order by lead_id by the end, as `win_rate` counts it), and the median days
-- from MQL to SQL of the accepted ones. Net of the audit; `team_id` is the campaign's team, whose
-- report shows its campaigns.
SELECT
    l.campaign_id,
    coalesce(c.name, l.campaign_id) AS campaign_name,
    coalesce(c.team_id, 'unassigned') AS team_id,
    l.channel,
    count(*) AS mqls,
    sum(CASE WHEN l.sql_at < $end_at THEN 1 ELSE 0 END) AS sqls,
    sum(CASE WHEN l.sql_at < $end_at AND won.lead_id IS NOT NULL THEN 1 ELSE 0 END) AS won,
    median(CASE WHEN l.sql_at < $end_at THEN CAST(date_part('epoch', l.sql_at) - date_part('epoch', l.mql_at) AS DOUBLE) / 86400.0 END) AS median_days_to_sql
FROM aud_leads AS l
LEFT JOIN campaigns AS c ON c.campaign_id = l.campaign_id
LEFT JOIN (
    SELECT DISTINCT lead_id
    FROM aud_orders
    WHERE status = 'paid' AND lead_id IS NOT NULL AND month < $month_to AND order_at < $end_at
) AS won ON won.lead_id = l.lead_id
WHERE l.month < $month_to
    AND l.mql_at >= $start_at AND l.mql_at < $end_at
GROUP BY l.campaign_id, c.name, c.team_id, l.channel
ORDER BY team_id, l.campaign_id NULLS LAST, l.channel
