-- No count, sum or denominator is negative, gross or net; and audit never adds rows (net <= gross).
-- A gross sum includes the rows the audit excluded, and those can be negative on their own (a
-- correction posted as a negative order, excluded by ORDER_VOID): that is the export, not a fault
-- of the close, so a gross sum is held to this only where the audit excluded nothing.
SELECT i.kpi, i.grain, i.entity_id, i.numerator, i.denominator, i.gross_numerator, i.net_rows, i.gross_rows
FROM indicators AS i
JOIN kpi_catalog AS k ON k.kpi = i.kpi
WHERE (k.kind = 'count' AND (i.numerator < 0 OR (i.gross_numerator < 0 AND i.net_rows = i.gross_rows)))
    OR i.denominator < 0
    OR i.gross_denominator < 0
    OR i.net_rows > i.gross_rows
