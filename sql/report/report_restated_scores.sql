-- A restated period: each person whose total score, rating or bonus differs between the revision
-- as reported (`reported_scorecards`) and the restated one now in `scorecards`.
WITH now AS (
    SELECT person_id, max(total_score) AS total_score, max(rating) AS rating, max(bonus) AS bonus
    FROM scorecards
    WHERE period = $period
    GROUP BY person_id
),
was AS (
    SELECT person_id, max(total_score) AS total_score, max(rating) AS rating, max(bonus) AS bonus
    FROM reported_scorecards
    WHERE period = $period
    GROUP BY person_id
)
SELECT
    coalesce(now.person_id, was.person_id) AS person_id,
    was.total_score AS reported_score,
    now.total_score AS restated_score,
    was.rating AS reported_rating,
    now.rating AS restated_rating,
    was.bonus AS reported_bonus,
    now.bonus AS restated_bonus
FROM was
FULL OUTER JOIN now ON now.person_id = was.person_id
WHERE (was.total_score IS DISTINCT FROM now.total_score)
    OR (was.rating IS DISTINCT FROM now.rating)
    OR (was.bonus IS DISTINCT FROM now.bonus)
ORDER BY person_id
