-- Rows each rule flagged in the period's months (a row caught by two rules counts under both), GIVT
-- rules first.
SELECT dataset, rule_id, rule_version, ivt_class, count(*) AS rows_flagged
FROM exclusions
WHERE month >= $month_from AND month < $month_to
GROUP BY dataset, rule_id, rule_version, ivt_class
ORDER BY dataset, ivt_class, rule_id
