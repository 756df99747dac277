-- rule: SPEND_INVALID
-- dataset: ad_spend
-- version: 1
-- class: GIVT invalid_record
-- catches: negative costs, and the second and later copies of a date|channel|campaign row
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month (copies are numbered within a month)
SELECT
    record_key,
    month,
    CASE WHEN cost < 0 THEN concat('negative cost ', CAST(cost AS VARCHAR)) ELSE 'duplicate row' END AS detail
FROM stg_ad_spend
WHERE month >= $judge_from AND month < $judge_to AND (cost < 0 OR strpos(record_key, '#') > 0)
