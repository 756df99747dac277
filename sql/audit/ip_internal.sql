-- rule: IP_INTERNAL
-- dataset: web_events
-- version: 1
-- catches: events from the company's own networks (audit.internal_ranges): internal traffic
-- reads: the judged month ($month_from); its ledger depends on nothing later
WITH addresses AS (
    SELECT ip, internal_range(ip) AS range_name
    FROM (SELECT DISTINCT ip FROM stg_web_events WHERE month = $month_from AND ip IS NOT NULL) AS a
)
SELECT e.record_key, e.month, concat(e.ip, ' is in internal range ', a.range_name) AS detail
FROM stg_web_events AS e
JOIN addresses AS a ON a.ip = e.ip
WHERE e.month = $month_from AND a.range_name IS NOT NULL
