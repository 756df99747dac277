-- kpi: nps
-- name: Net promoter score
-- name_zh: 净推荐值
-- formula: 100 * (responses scoring 9-10 - responses scoring 0-6) / responses in P
-- numerator: promoters (9-10) minus detractors (0-6) in P
-- denominator: responses in P
-- filters: submitted_at in P; net: responses not in the exclusion ledger
-- grains: company; team named by the response; person and channel: unassigned
-- cycle: half
-- direction: higher
-- unit: score
-- kind: ratio
-- additive: no
-- bounds: -100..100
-- volume: responses in P
-- version: 1
SELECT
    grain,
    entity_id,
    numerator,
    denominator,
    CASE WHEN denominator = 0 THEN NULL ELSE 100.0 * CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) END AS value,
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
        sum(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END) AS numerator,
        count(*) AS denominator,
        count(*) AS volume
    FROM aud_nps_responses
    WHERE month >= $month_from AND month < $month_to
        AND submitted_at >= $start_at AND submitted_at < $end_at
    GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
) AS g
