-- kpi: uv
-- name: Unique visitors
-- name_zh: 独立访客数
-- formula: count of distinct visitor_id with a page_view in P
-- numerator: distinct visitors with a page_view event in P
-- denominator: none (a count)
-- filters: event_type = page_view; event_time in P; net: events not in the exclusion ledger
-- grains: company; team and person through the event's campaign (team, owner); channel of the event, else of its campaign
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: no
-- bounds: 0..
-- volume: page_view events in P
-- version: 1

-- One row per visitor and grouping first, then plain counts: a count(DISTINCT) over grouping sets
-- keeps each grouping's visitors in one set that cannot spill (the company's holds them all).
SELECT
    grain,
    entity_id,
    count(visitor_id) AS numerator,
    NULL AS denominator,
    count(visitor_id) AS value,
    sum(views) AS volume
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
        count(*) AS views
    FROM aud_web_events
    WHERE event_type = 'page_view'
        AND month >= $month_from AND month < $month_to
        AND event_time >= $start_at AND event_time < $end_at
    GROUP BY GROUPING SETS ((visitor_id), (team_id, visitor_id), (person_id, visitor_id), (channel, visitor_id))
) AS v
GROUP BY grain, entity_id
