-- rule: SOCIAL_SPIKE
-- dataset: social_stats
-- version: 1
-- class: SIVT manipulation
-- catches: days whose engagement (likes + comments + shares) is more than audit.social_mad_factor robust standard deviations above the account's median of the audit.social_window_days days before
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month and the audit.social_window_days before it ($social_from_date)
-- The robust standard deviation is the median absolute deviation × 1.4826 (its value for normal
-- data); at least half the window must have data, and a deviation below 1 counts as 1.
WITH days AS (
    SELECT record_key, month, account_id, date, likes + comments + shares AS engagement
    FROM stg_social_stats
    WHERE month >= $social_month_from AND month < $judge_to AND date >= $social_from_date
),
history AS (
    SELECT d.record_key, d.month, d.account_id, d.date, d.engagement, h.engagement AS earlier
    FROM days AS d
    JOIN days AS h
        ON d.month >= $judge_from AND d.month < $judge_to
        AND h.account_id = d.account_id
        AND h.date < d.date
        AND h.date >= d.date - CAST($social_window_days AS INT)
),
medians AS (
    SELECT record_key, month, engagement, median(earlier) AS typical, count(*) AS days_seen
    FROM history
    GROUP BY record_key, month, engagement
),
deviations AS (
    SELECT m.record_key, m.month, m.engagement, m.typical, median(abs(h.earlier - m.typical)) AS mad
    FROM medians AS m
    JOIN history AS h ON h.record_key = m.record_key
    WHERE m.days_seen >= $social_window_days / 2
    GROUP BY m.record_key, m.month, m.engagement, m.typical
)
SELECT
    record_key,
    month,
    concat('engagement ', CAST(engagement AS VARCHAR), ' against a median of ', CAST(typical AS VARCHAR), ' (MAD ', CAST(mad AS VARCHAR), ')') AS detail
FROM deviations
WHERE engagement > typical + $social_mad_factor * 1.4826 * greatest(mad, 1)
