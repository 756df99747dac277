-- Additive indicators (counts and sums) must add up: the persons of a period, its teams and its
-- channels (each with their `unassigned` bucket) sum to the company figure, gross and net.
-- Returns one row per indicator and grain that does not.
SELECT
    i.kpi,
    i.grain,
    sum(i.numerator) AS grain_total,
    max(c.numerator) AS company_total,
    sum(i.gross_numerator) AS grain_gross_total,
    max(c.gross_numerator) AS company_gross_total
FROM indicators AS i
JOIN kpi_catalog AS k ON k.kpi = i.kpi AND k.additive
JOIN indicators AS c ON c.kpi = i.kpi AND c.grain = 'company'
WHERE i.grain IN ('team', 'person', 'channel')
GROUP BY i.kpi, i.grain
HAVING sum(i.numerator) <> max(c.numerator) OR sum(i.gross_numerator) <> max(c.gross_numerator)
