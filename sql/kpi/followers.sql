-- kpi: followers
-- name: Followers
-- name_zh: 粉丝数
-- formula: followers of every account on the last day of P (an account's last reported day in P if that day is missing)
-- numerator: sum over accounts of followers on their last reported day in P
-- denominator: none (a count)
-- filters: date in P; net: rows not in the exclusion ledger
-- grains: company; team = the account's team; person: unassigned; channel: social
-- cycle: month
-- direction: higher
-- unit: count
-- kind: count
-- additive: yes
-- bounds: 0..
-- volume: daily account rows in P
-- version: 1
SELECT
    CASE
        WHEN grouping(team_id) = 0 THEN 'team'
        WHEN grouping(person_id) = 0 THEN 'person'
        WHEN grouping(channel) = 0 THEN 'channel'
        ELSE 'company'
    END AS grain,
    coalesce(team_id, person_id, channel, $company_id) AS entity_id,
    coalesce(sum(CASE WHEN latest = 1 THEN followers END), 0) AS numerator,
    NULL AS denominator,
    coalesce(sum(CASE WHEN latest = 1 THEN followers END), 0) AS value,
    count(*) AS volume
FROM (
    SELECT *, row_number() OVER (PARTITION BY account_id ORDER BY date DESC, record_key) AS latest
    FROM aud_social_stats
    WHERE month >= $month_from AND month < $month_to
        AND date >= $start_date AND date < $end_date
) AS s
GROUP BY GROUPING SETS ((), (team_id), (person_id), (channel))
