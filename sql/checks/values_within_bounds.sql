-- Every value lies within its indicator's bounds (its card's `bounds`): shares between 0 and 1,
-- NPS between -100 and 100, counts and amounts not negative. Gross values are held to the bounds
-- where the audit excluded nothing (see counts_not_negative.sql: excluded rows can be out of bounds
-- on their own, which is why they were excluded).
SELECT i.kpi, i.grain, i.entity_id, i.value, i.gross_value, k.lower_bound, k.upper_bound
FROM indicators AS i
JOIN kpi_catalog AS k ON k.kpi = i.kpi
WHERE i.value < k.lower_bound OR i.value > k.upper_bound
    OR (i.net_rows = i.gross_rows AND (i.gross_value < k.lower_bound OR i.gross_value > k.upper_bound))
