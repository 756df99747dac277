-- The company's monthly values and monthly targets from $trend_from to $trend_to (closed months only).
SELECT
    i.period,
    i.kpi,
    CAST(i.value AS DOUBLE) AS value,
    CAST(t.target AS DOUBLE) AS target
FROM indicators AS i
LEFT JOIN targets AS t
    ON t.period = i.period AND t.entity_type = 'company' AND t.entity_id = i.entity_id AND t.kpi = i.kpi
WHERE i.period_kind = 'month' AND i.grain = 'company' AND i.period >= $trend_from AND i.period <= $trend_to
ORDER BY i.kpi, i.period
