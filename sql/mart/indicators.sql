-- The `indicators` table (README, "Outputs"): one row per period, grain, entity and indicator.
-- `kpi_results` holds what every sql/kpi file returned for the period (`current`), the previous
-- period and the same period a year earlier, gross (empty exclusion ledger) and net; `kpi_catalog`
-- holds each indicator's card. An entity with no rows gets 0 for counts and sums, n/a for ratios.
WITH wanted AS (
    SELECT kpi, grain, entity_id FROM kpi_results WHERE role = 'current'
    UNION
    SELECT k.kpi, e.grain, e.entity_id FROM kpi_catalog AS k CROSS JOIN stg_entities AS e
),
net AS (SELECT * FROM kpi_results WHERE role = 'current' AND scope = 'net'),
gross AS (SELECT * FROM kpi_results WHERE role = 'current' AND scope = 'gross'),
previous AS (SELECT * FROM kpi_results WHERE role = 'previous' AND scope = 'net'),
year_ago AS (SELECT * FROM kpi_results WHERE role = 'year_ago' AND scope = 'net'),
joined AS (
    SELECT
        w.grain,
        w.entity_id,
        w.kpi,
        k.kind,
        k.min_volume,
        k.low_volume_on_rows,
        k.definition_version,
        coalesce(n.numerator, 0) AS numerator,
        CASE WHEN k.kind = 'ratio' THEN coalesce(n.denominator, 0) END AS denominator,
        CASE WHEN n.kpi IS NOT NULL THEN n.value WHEN k.kind = 'count' THEN 0.0 END AS value,
        CASE WHEN g.kpi IS NOT NULL THEN g.value WHEN k.kind = 'count' THEN 0.0 END AS gross_value,
        coalesce(g.numerator, 0) AS gross_numerator,
        CASE WHEN k.kind = 'ratio' THEN coalesce(g.denominator, 0) END AS gross_denominator,
        coalesce(g.volume, 0) AS gross_rows,
        coalesce(n.volume, 0) AS net_rows,
        CASE WHEN p.kpi IS NOT NULL THEN p.value WHEN k.kind = 'count' THEN 0.0 END AS previous_value,
        CASE WHEN y.kpi IS NOT NULL THEN y.value WHEN k.kind = 'count' THEN 0.0 END AS year_ago_value
    FROM wanted AS w
    JOIN kpi_catalog AS k ON k.kpi = w.kpi
    LEFT JOIN net AS n ON n.kpi = w.kpi AND n.grain = w.grain AND n.entity_id = w.entity_id
    LEFT JOIN gross AS g ON g.kpi = w.kpi AND g.grain = w.grain AND g.entity_id = w.entity_id
    LEFT JOIN previous AS p ON p.kpi = w.kpi AND p.grain = w.grain AND p.entity_id = w.entity_id
    LEFT JOIN year_ago AS y ON y.kpi = w.kpi AND y.grain = w.grain AND y.entity_id = w.entity_id
)
SELECT
    CAST($period AS VARCHAR) AS period,
    CAST($period_kind AS VARCHAR) AS period_kind,
    grain,
    entity_id,
    kpi,
    numerator,
    denominator,
    value,
    gross_value,
    CASE WHEN gross_rows = 0 THEN 0.0 ELSE 1.0 - CAST(net_rows AS DOUBLE) / CAST(gross_rows AS DOUBLE) END AS excluded_share,
    kind = 'ratio' AND CASE WHEN low_volume_on_rows THEN net_rows ELSE denominator END < min_volume AS low_volume,
    definition_version,
    CAST($revision AS BIGINT) AS revision,
    gross_numerator,
    gross_denominator,
    gross_rows,
    net_rows,
    CAST($previous_period AS VARCHAR) AS previous_period,
    previous_value,
    CASE WHEN previous_value IS NULL OR previous_value = 0 OR value IS NULL THEN NULL
        ELSE (value - previous_value) / abs(previous_value) END AS change_vs_previous,
    CAST($year_ago_period AS VARCHAR) AS year_ago_period,
    year_ago_value,
    CASE WHEN year_ago_value IS NULL OR year_ago_value = 0 OR value IS NULL THEN NULL
        ELSE (value - year_ago_value) / abs(year_ago_value) END AS change_vs_year_ago
FROM joined
ORDER BY kpi, CASE grain WHEN 'company' THEN 0 WHEN 'team' THEN 1 WHEN 'person' THEN 2 ELSE 3 END, entity_id
