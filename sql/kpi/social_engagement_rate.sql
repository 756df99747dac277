-- kpi: social_engagement_rate
-- name: Social engagement rate
-- name_zh: 社交媒体互动率
-- formula: (likes + comments + shares in P) / followers on the last day of P
-- numerator: likes + comments + shares of every account's days in P
-- denominator: followers of every account on its last reported day in P
-- filters: date in P; net: rows not in the exclusion ledger
-- grains: company; team = the account's team; person: unassigned; channel: social
-- cycle: month
-- direction: higher
-- unit: ratio
-- kind: ratio
-- additive: no
-- bounds: 0..
-- volume: daily account rows in P
-- version: 1
SELECT
    grain,
    entity_id,
    numerator,
    denominator,
    CASE WHEN denominator = 0 THEN NULL ELSE CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) END AS value,
    volume
FROM (
    SELECT
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(person_id) = 0 THEN 'person'
            WHEN grouping(channel) = 0 THEN 'channel'
            ELSE 'company'
        END AS grain,
        coalesce(team_id, person_id, channel, $company_id) AS entity_id,
        coalesce(sum(likes + comments + shares), 0) AS numerator,
        coalesce(sum(CASE WHEN latest = 1 THEN followers END), 0) AS denominator,
        count(*) AS volume
    FROM (
        SELECT *, row_number() OVER (PARTITION BY account_id ORDER BY date DESC, record_key) AS latest
        FROM aud_social_stats
        WHERE month >= $month_from AND month < $month_to
            AND date >= $start_date AND date < $end_date
    ) AS s
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
