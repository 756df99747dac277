-- rule: FORM_BURST
-- dataset: web_events
-- version: 1
-- class: SIVT scripted_form
-- catches: audit.form_burst_count or more form submissions from one IP or one visitor within audit.form_burst_hours: all but the first
-- judges: month by month: a row's verdict may depend on rows after it, so each month is judged with only its own data and the look-back
-- reads: the judged month and the audit.form_burst_hours before it ($burst_from_at), nothing after its end
-- A form is flagged when, counting the forms from its IP (or visitor) sent up to the window before or
-- after it, there are at least the count, and at least one of them came before it.
WITH forms AS (
    SELECT record_key, month, event_time, date_part('epoch', event_time) AS at_s, ip, visitor_id
    FROM stg_web_events
    WHERE event_type = 'form_submit'
        AND month >= $burst_month_from AND month < $judge_to
        AND event_time >= $burst_from_at AND event_time < $judge_end_at
),
pairs AS (
    SELECT f.record_key, f.month, 'IP ' || f.ip AS source, g.at_s < f.at_s OR (g.at_s = f.at_s AND g.record_key < f.record_key) AS before
    FROM forms AS f
    JOIN forms AS g ON g.ip = f.ip AND f.month >= $judge_from AND f.month < $judge_to AND abs(g.at_s - f.at_s) <= $form_burst_hours * 3600
    UNION ALL
    SELECT f.record_key, f.month, 'visitor ' || f.visitor_id AS source, g.at_s < f.at_s OR (g.at_s = f.at_s AND g.record_key < f.record_key) AS before
    FROM forms AS f
    JOIN forms AS g ON g.visitor_id = f.visitor_id AND f.month >= $judge_from AND f.month < $judge_to AND abs(g.at_s - f.at_s) <= $form_burst_hours * 3600
),
counted AS (
    SELECT record_key, month, source, count(*) AS around, sum(CASE WHEN before THEN 1 ELSE 0 END) AS earlier
    FROM pairs
    GROUP BY record_key, month, source
)
SELECT record_key, month, min(concat(CAST(around AS VARCHAR), ' forms from ', source, ' within the window')) AS detail
FROM counted
WHERE around >= $form_burst_count AND earlier >= 1
GROUP BY record_key, month
