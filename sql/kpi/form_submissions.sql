-- kpi: form_submissions
-- name: Form submissions
-- name_zh: 表单提交数
-- formula: count of form_submit events in P
-- numerator: form_submit events in P
-- denominator: none (a count)
-- filters: event_type = form_submit; event_time in P; net: events not in the exclusion ledger
-- grains: company; team and person through the event's campaign (team, owner); channel of the event, else of its campaign
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: form_submit events in P
-- version: 1
SELECT
    CASE
        WHEN grouping(team_id) = 0 THEN 'team'
        WHEN grouping(person_id) = 0 THEN 'person'
        WHEN grouping(channel) = 0 THEN 'channel'
        ELSE 'company'
    END AS grain,
    coalesce(team_id, person_id, channel, $company_id) AS entity_id,
    count(*) AS numerator,
    NULL AS denominator,
    count(*) AS value,
    count(*) AS volume
FROM aud_web_events
WHERE event_type = 'form_submit'
    AND month >= $month_from AND month < $month_to
    AND event_time >= $start_at AND event_time < $end_at
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
