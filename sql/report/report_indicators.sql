-- The period's indicators at every grain, each with its target for the period, the previous and
-- year-ago values it is compared with (the report states a rate's change in percentage points), and a
-- ratio's denominator (e.g. the new customers behind `cac`) in this period and the previous one
-- ($previous), from which the report splits a company change into its teams' and channels' parts.
SELECT
    i.grain,
    i.entity_id,
    i.kpi,
    CAST(i.value AS DOUBLE) AS value,
    CAST(i.gross_value AS DOUBLE) AS gross_value,
    CAST(i.excluded_share AS DOUBLE) AS excluded_share,
    i.low_volume,
    CAST(i.previous_value AS DOUBLE) AS previous_value,
    CAST(i.year_ago_value AS DOUBLE) AS year_ago_value,
    CAST(t.target AS DOUBLE) AS target,
    i.definition_version,
    CAST(i.denominator AS DOUBLE) AS denominator,
    CAST(p.denominator AS DOUBLE) AS previous_denominator
FROM indicators AS i
LEFT JOIN targets AS t
    ON t.period = i.period AND t.entity_type = i.grain AND t.entity_id = i.entity_id AND t.kpi = i.kpi
LEFT JOIN indicators AS p
    ON p.period = $previous AND p.grain = i.grain AND p.entity_id = i.entity_id AND p.kpi = i.kpi
WHERE i.period = $period
ORDER BY i.grain, i.entity_id, i.kpi
