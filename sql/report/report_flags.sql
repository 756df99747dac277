-- The flags the period raised, with the person's name and team.
SELECT
    f.person_id,
    p.name AS person_name,
    p.team_id,
    f.flag,
    f.explanation,
    f.detail
FROM flags AS f
LEFT JOIN people AS p ON p.person_id = f.person_id
WHERE f.period = $period
ORDER BY f.flag, f.person_id
