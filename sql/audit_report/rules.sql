-- Rows each rule flagged in the period's months (a row caught by two rules counts under both).
SELECT dataset, rule_id, rule_version, count(*) AS rows_flagged
FROM exclusions
WHERE month >= $month_from AND month < $month_to
GROUP BY dataset, rule_id, rule_version
ORDER BY dataset, rule_id
