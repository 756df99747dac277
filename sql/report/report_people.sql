-- The organisation: each person with their team, e-mail and whether they manage the team.
SELECT
    p.person_id,
    p.name,
    p.team_id,
    t.name AS team_name,
    p.email,
    coalesce(t.manager_id = p.person_id, false) AS is_manager
FROM people AS p
LEFT JOIN teams AS t ON t.team_id = p.team_id
ORDER BY p.team_id, p.person_id
