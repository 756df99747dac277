-- rule: IP_DATACENTER
-- dataset: web_events
-- version: 1
-- catches: events from an IP in a cloud or hosting range (reference/datacenter_ranges.csv), unless it is in audit.office_ranges
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later
WITH addresses AS (
    SELECT ip, datacenter_range(ip) AS range_name
    FROM (SELECT DISTINCT ip FROM stg_web_events WHERE month >= $judge_from AND month < $judge_to AND ip IS NOT NULL) AS a
    WHERE office_range(ip) IS NULL
)
SELECT e.record_key, e.month, concat(e.ip, ' is in ', a.range_name) AS detail
FROM stg_web_events AS e
JOIN addresses AS a ON a.ip = e.ip
WHERE e.month >= $judge_from AND e.month < $judge_to AND a.range_name IS NOT NULL
