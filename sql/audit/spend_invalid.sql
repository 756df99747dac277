-- rule: SPEND_INVALID
-- dataset: ad_spend
-- version: 1
-- catches: negative costs, and the second and later copies of a date|channel|campaign row
-- reads: the judged month (copies are numbered within a month)
SELECT
    record_key,
    month,
    CASE WHEN cost < 0 THEN concat('negative cost ', CAST(cost AS VARCHAR)) ELSE 'duplicate row' END AS detail
FROM stg_ad_spend
WHERE month = $month_from AND (cost < 0 OR strpos(record_key, '#') > 0)
