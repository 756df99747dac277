-- The period's indicators at every grain, each with its target for the period (and a ratio's
-- denominator, e.g. the new customers behind `cac`).
SELECT
    i.grain,
    i.entity_id,
    i.kpi,
    CAST(i.value AS DOUBLE) AS value,
    CAST(i.gross_value AS DOUBLE) AS gross_value,
    CAST(i.excluded_share AS DOUBLE) AS excluded_share,
    i.low_volume,
    CAST(i.change_vs_previous AS DOUBLE) AS change_vs_previous,
    CAST(i.change_vs_year_ago AS DOUBLE) AS change_vs_year_ago,
    CAST(t.target AS DOUBLE) AS target,
    i.definition_version,
    CAST(i.denominator AS DOUBLE) AS denominator
FROM indicators AS i
LEFT JOIN targets AS t
    ON t.period = i.period AND t.entity_type = i.grain AND t.entity_id = i.entity_id AND t.kpi = i.kpi
WHERE i.period = $period
ORDER BY i.grain, i.entity_id, i.kpi
