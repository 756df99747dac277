-- rule: RATE_VISITOR
-- dataset: web_events
-- version: 1
-- class: SIVT automation
-- catches: bursts of more than audit.rate_visitor_per_minute events from one visitor within 60 seconds: every event of the burst
-- judges: month by month: a row's verdict may depend on rows after it, so each month is judged with only its own data and the look-back
-- reads: the judged month and the 60 s before it ($rate_from_at), nothing after its end: a burst that runs on
-- into the next month is judged there, so a month's ledger never changes when later months arrive
-- An event starts a burst when more than the limit follow it within 60 s; every event within 60 s
-- after a burst start belongs to the burst. `rate_burst` (src/engine/functions.rs) gives the size of
-- the largest burst an event belongs to in one sweep over each visitor's sorted events; it equals
-- max(CASE WHEN following > limit THEN following ELSE 0 END) over the 60 s before each event, where
-- following counts the events in the 60 s from it (two RANGE frames, `tests` in that file).
WITH marked AS (
    SELECT
        record_key,
        month,
        visitor_id AS who,
        rate_burst(event_time, 60, $rate_visitor_per_minute) OVER (PARTITION BY visitor_id ORDER BY event_time) AS burst
    FROM stg_web_events
    WHERE visitor_id IS NOT NULL
        AND month >= $rate_month_from AND month < $judge_to
        AND event_time >= $rate_from_at AND event_time < $judge_end_at
)
SELECT record_key, month, concat(CAST(burst AS VARCHAR), ' events from ', who, ' within 60 s') AS detail
FROM marked
WHERE month >= $judge_from AND month < $judge_to AND burst > 0
