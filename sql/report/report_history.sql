-- Each person's total score and rating in every stored period (reports keep the same kind, last six).
SELECT
    period,
    person_id,
    max(total_score) AS total_score,
    max(rating) AS rating
FROM scorecards
GROUP BY period, person_id
ORDER BY person_id, period
