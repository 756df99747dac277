-- rule: FORM_FAST
-- dataset: web_events
-- version: 1
-- class: SIVT scripted_form
-- catches: form submissions less than audit.form_fast_seconds after the visitor's first page view in the session
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month, and the month before for sessions that began there
WITH landed AS (
    SELECT visitor_id, session_id, min(event_time) AS first_view
    FROM stg_web_events
    WHERE event_type = 'page_view' AND session_id IS NOT NULL
        AND month >= $prev_month_from AND month < $judge_to AND event_time < $judge_end_at
    GROUP BY visitor_id, session_id
)
SELECT
    f.record_key,
    f.month,
    concat(
        'form sent ',
        CAST(date_part('epoch', f.event_time) - date_part('epoch', l.first_view) AS VARCHAR),
        ' s after landing'
    ) AS detail
FROM stg_web_events AS f
JOIN landed AS l ON l.visitor_id = f.visitor_id AND l.session_id = f.session_id
WHERE f.month >= $judge_from AND f.month < $judge_to AND f.event_type = 'form_submit'
    AND f.event_time >= l.first_view
    AND date_part('epoch', f.event_time) - date_part('epoch', l.first_view) < $form_fast_seconds
