-- Every value lies within its indicator's bounds (its card's `bounds`): shares between 0 and 1,
-- NPS between -100 and 100, counts and amounts not negative.
SELECT i.kpi, i.grain, i.entity_id, i.value, i.gross_value, k.lower_bound, k.upper_bound
FROM indicators AS i
JOIN kpi_catalog AS k ON k.kpi = i.kpi
WHERE i.value < k.lower_bound OR i.value > k.upper_bound
    OR i.gross_value < k.lower_bound OR i.gross_value > k.upper_bound
