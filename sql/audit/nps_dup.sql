-- rule: NPS_DUP
-- dataset: nps_responses
-- version: 1
-- class: GIVT duplicate
-- catches: a customer's second and later responses in one half-year (company time): the first is kept
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the half-year up to the judged month ($half_month_from): a response is judged against the earlier ones
WITH responses AS (
    SELECT
        record_key,
        month,
        customer_id,
        submitted_at,
        concat(
            CAST(date_part('year', local_date(submitted_at)) AS VARCHAR),
            CASE WHEN date_part('month', local_date(submitted_at)) <= 6 THEN '-H1' ELSE '-H2' END
        ) AS half
    FROM stg_nps_responses
    WHERE customer_id IS NOT NULL AND month >= $half_month_from AND month < $judge_to
)
SELECT record_key, month, concat('second response of ', customer_id, ' in ', half) AS detail
FROM (
    SELECT *, row_number() OVER (PARTITION BY customer_id, half ORDER BY submitted_at, record_key) AS nth
    FROM responses
) AS r
WHERE month >= $judge_from AND month < $judge_to AND nth > 1
