-- Every scorecard line of the period, with the person's and the team's names.
SELECT
    s.person_id,
    p.name AS person_name,
    s.team_id,
    tm.name AS team_name,
    s.kpi,
    s.level,
    s.target,
    s.actual,
    s.achievement,
    s.weight,
    s.effective_weight,
    s.points,
    s.note,
    s.total_score,
    s.rating,
    s.met_target,
    CAST(s.base_bonus AS VARCHAR) AS base_bonus,
    s.payout_share,
    s.excess_reward,
    CAST(s.bonus AS VARCHAR) AS bonus,
    s.scheme
FROM scorecards AS s
LEFT JOIN people AS p ON p.person_id = s.person_id
LEFT JOIN teams AS tm ON tm.team_id = s.team_id
WHERE s.period = $period
ORDER BY s.team_id, s.person_id, s.kpi
