-- rule: LEAD_DISPOSABLE
-- dataset: leads
-- version: 1
-- class: GIVT listed_source
-- catches: leads with an e-mail address at a disposable-mail domain (reference/disposable_email_domains.txt)
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month
SELECT l.record_key, l.month, concat('disposable domain ', d.domain) AS detail
FROM stg_leads AS l
JOIN ref_disposable_domains AS d ON d.domain = lower(split_part(trim(l.email), '@', 2))
WHERE l.month >= $judge_from AND l.month < $judge_to
