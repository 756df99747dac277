-- rule: RATE_IP
-- dataset: web_events
-- version: 1
-- catches: bursts of more than audit.rate_ip_per_minute events from one IP within 60 seconds: every event of the burst
-- judges: month by month: a row's verdict may depend on rows after it, so each month is judged with only its own data and the look-back
-- reads: the judged month and the 60 s before it ($rate_from_at), nothing after its end: a burst that runs on
-- into the next month is judged there, so a month's ledger never changes when later months arrive
-- An event starts a burst when more than the limit follow it within 60 s; every event within 60 s
-- after a burst start belongs to the burst.
WITH counted AS (
    SELECT
        record_key,
        month,
        ip AS who,
        event_time,
        count(*) OVER (
            PARTITION BY ip ORDER BY event_time RANGE BETWEEN CURRENT ROW AND INTERVAL '60' SECOND FOLLOWING
        ) AS following
    FROM stg_web_events
    WHERE ip IS NOT NULL
        AND month >= $rate_month_from AND month < $judge_to
        AND event_time >= $rate_from_at AND event_time < $judge_end_at
),
marked AS (
    SELECT
        *,
        max(CASE WHEN following > $rate_ip_per_minute THEN following ELSE 0 END) OVER (
            PARTITION BY who ORDER BY event_time RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW
        ) AS burst
    FROM counted
)
SELECT record_key, month, concat(CAST(burst AS VARCHAR), ' events from ', who, ' within 60 s') AS detail
FROM marked
WHERE month >= $judge_from AND month < $judge_to AND burst > 0
