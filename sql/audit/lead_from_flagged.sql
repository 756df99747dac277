-- rule: LEAD_FROM_FLAGGED
-- dataset: leads
-- version: 1
-- class: SIVT from_invalid_traffic
-- catches: leads whose originating form submission was flagged, or whose visitor's traffic was flagged as a bot, script, data-centre or burst
-- judges: every month in one pass: a lead is judged by the findings of its own month and earlier ones only (`f.month <= l.month`), so judging months together is judging each alone
-- reads: the judged months' leads, and the web events and web-rule findings of every month up to them
-- Reads `web_flags`: the web rules' findings (record_key, rule_id, month), every month.
WITH flagged_forms AS (
    SELECT DISTINCT e.lead_id, f.rule_id, f.month
    FROM stg_web_events AS e
    JOIN web_flags AS f ON f.record_key = e.record_key
    WHERE e.month < $judge_to AND f.month < $judge_to
        AND e.event_type = 'form_submit' AND e.lead_id IS NOT NULL AND f.rule_id <> 'DUP_EVENT'
),
flagged_visitors AS (
    SELECT DISTINCT e.visitor_id, f.rule_id, f.month
    FROM stg_web_events AS e
    JOIN web_flags AS f ON f.record_key = e.record_key
    WHERE e.month < $judge_to AND f.month < $judge_to
        AND f.rule_id IN ('UA_BOT', 'UA_NONBROWSER', 'IP_DATACENTER', 'RATE_IP', 'RATE_VISITOR')
),
found AS (
    SELECT l.record_key, l.month, concat('its form was ', f.rule_id) AS detail
    FROM stg_leads AS l
    JOIN flagged_forms AS f ON f.lead_id = l.lead_id AND f.month <= l.month
    WHERE l.month >= $judge_from AND l.month < $judge_to
    UNION ALL
    SELECT l.record_key, l.month, concat('its visitor was ', v.rule_id) AS detail
    FROM stg_leads AS l
    JOIN flagged_visitors AS v ON v.visitor_id = l.visitor_id AND v.month <= l.month
    WHERE l.month >= $judge_from AND l.month < $judge_to
)
SELECT record_key, month, min(detail) AS detail
FROM found
GROUP BY record_key, month
