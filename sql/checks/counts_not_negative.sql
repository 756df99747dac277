-- No count, sum or denominator is negative, gross or net; and audit never adds rows (net <= gross).
SELECT i.kpi, i.grain, i.entity_id, i.numerator, i.denominator, i.gross_numerator, i.net_rows, i.gross_rows
FROM indicators AS i
JOIN kpi_catalog AS k ON k.kpi = i.kpi
WHERE (k.kind = 'count' AND (i.numerator < 0 OR i.gross_numerator < 0))
    OR i.denominator < 0
    OR i.gross_denominator < 0
    OR i.net_rows > i.gross_rows
