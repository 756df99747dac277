-- rule: LEAD_TEST
-- dataset: leads
-- version: 1
-- class: GIVT test
-- catches: test leads: is_test, or an e-mail at a test domain (audit.test_domains, or any domain starting `test.`)
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month
SELECT
    l.record_key,
    l.month,
    CASE WHEN l.is_test THEN 'is_test' ELSE concat('test domain ', lower(split_part(trim(l.email), '@', 2))) END AS detail
FROM stg_leads AS l
WHERE l.month >= $judge_from AND l.month < $judge_to AND (
    l.is_test
    OR lower(split_part(trim(l.email), '@', 2)) IN (SELECT domain FROM ref_test_domains)
    OR lower(split_part(trim(l.email), '@', 2)) LIKE 'test.%'
)
