-- rule: IP_DATACENTER
-- dataset: web_events
-- version: 1
-- catches: events from an IP in a cloud or hosting range (reference/datacenter_ranges.csv), unless it is in audit.office_ranges
-- reads: the judged month ($month_from); its ledger depends on nothing later
WITH addresses AS (
    SELECT ip, datacenter_range(ip) AS range_name
    FROM (SELECT DISTINCT ip FROM stg_web_events WHERE month = $month_from AND ip IS NOT NULL) AS a
    WHERE office_range(ip) IS NULL
)
SELECT e.record_key, e.month, concat(e.ip, ' is in ', a.range_name) AS detail
FROM stg_web_events AS e
JOIN addresses AS a ON a.ip = e.ip
WHERE e.month = $month_from AND a.range_name IS NOT NULL
