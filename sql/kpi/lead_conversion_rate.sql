-- kpi: lead_conversion_rate
-- name: Lead conversion rate
-- name_zh: 线索转化率
-- formula: form_submit events in P / UV(P)
-- numerator: form_submit events in P
-- denominator: distinct visitors with a page_view in P (UV)
-- filters: event_time in P; net: events not in the exclusion ledger
-- grains: company; team and person through the event's campaign (team, owner); channel of the event, else of its campaign
-- cycle: month
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: page_view and form_submit events in P
-- components: form_submissions / uv
-- version: 1

-- One row per visitor and grouping first, then plain counts: a count(DISTINCT) over grouping sets
-- keeps each grouping's visitors in one set that cannot spill (the company's holds them all).
SELECT
    grain,
    entity_id,
    numerator,
    denominator,
    CASE WHEN denominator = 0 THEN NULL ELSE CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) END AS value,
    volume
FROM (
    SELECT
        grain,
        entity_id,
        sum(forms) AS numerator,
        count(CASE WHEN viewed = 1 THEN visitor_id END) AS denominator,
        sum(events) AS volume
    FROM (
        SELECT
            CASE
                WHEN grouping(team_id) = 0 THEN 'team'
                WHEN grouping(person_id) = 0 THEN 'person'
                WHEN grouping(channel) = 0 THEN 'channel'
                ELSE 'company'
            END AS grain,
            coalesce(team_id, person_id, channel, $company_id) AS entity_id,
            visitor_id,
            sum(CASE WHEN event_type = 'form_submit' THEN 1 ELSE 0 END) AS forms,
            max(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS viewed,
            count(*) AS events
        FROM aud_web_events
        WHERE event_type IN ('page_view', 'form_submit')
            AND month >= $month_from AND month < $month_to
            AND event_time >= $start_at AND event_time < $end_at
        GROUP BY GROUPING SETS ((visitor_id), (team_id, visitor_id), (person_id, visitor_id), (channel, visitor_id))
    ) AS v
    GROUP BY grain, entity_id
) AS g
