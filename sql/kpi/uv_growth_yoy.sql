-- kpi: uv_growth_yoy
-- name: UV growth rate, year on year
-- name_zh: 独立访客增长率
-- formula: (UV(P) - UV(P-1y)) / UV(P-1y)
-- numerator: UV(P) - UV(P-1y)
-- denominator: UV(P-1y): distinct visitors with a page_view in the same period a year earlier
-- filters: event_type = page_view; event_time in P or in P-1y; net: events not in the exclusion ledger
-- grains: company; team and person through the event's campaign (team, owner); channel of the event, else of its campaign
-- cycle: month
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: -1..
-- volume: page_view events in P
-- version: 1

-- One row per visitor and grouping first, then plain counts: a count(DISTINCT) over grouping sets
-- keeps each grouping's visitors in one set that cannot spill (the company's holds them all).
SELECT
    grain,
    entity_id,
    uv - uv_year_ago AS numerator,
    uv_year_ago AS denominator,
    CASE WHEN uv_year_ago = 0 THEN NULL ELSE CAST(uv - uv_year_ago AS DOUBLE) / CAST(uv_year_ago AS DOUBLE) END AS value,
    volume
FROM (
    SELECT
        grain,
        entity_id,
        count(CASE WHEN seen_now = 1 THEN visitor_id END) AS uv,
        count(CASE WHEN seen_year_ago = 1 THEN visitor_id END) AS uv_year_ago,
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
            max(CASE WHEN event_time >= $start_at THEN 1 ELSE 0 END) AS seen_now,
            max(CASE WHEN event_time < $yoy_end_at THEN 1 ELSE 0 END) AS seen_year_ago,
            sum(CASE WHEN event_time >= $start_at THEN 1 ELSE 0 END) AS views
        FROM aud_web_events
        WHERE event_type = 'page_view'
            -- The month condition stands alone so that it prunes partitions.
            AND ((month >= $month_from AND month < $month_to) OR (month >= $yoy_month_from AND month < $yoy_month_to))
            AND ((event_time >= $start_at AND event_time < $end_at) OR (event_time >= $yoy_start_at AND event_time < $yoy_end_at))
        GROUP BY GROUPING SETS ((visitor_id), (team_id, visitor_id), (person_id, visitor_id), (channel, visitor_id))
    ) AS v
    GROUP BY grain, entity_id
) AS g
