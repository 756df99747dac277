-- A restated period: every indicator whose net value differs between the revision as reported
-- (`reported_indicators`, kept under restatements/) and the restated one now in `indicators`.
-- Empty for a period never restated.
WITH now AS (
    SELECT grain, entity_id, kpi, value FROM indicators WHERE period = $period
),
was AS (
    SELECT grain, entity_id, kpi, value FROM reported_indicators WHERE period = $period
)
SELECT
    coalesce(now.grain, was.grain) AS grain,
    coalesce(now.entity_id, was.entity_id) AS entity_id,
    coalesce(now.kpi, was.kpi) AS kpi,
    was.value AS as_reported,
    now.value AS restated
FROM was
FULL OUTER JOIN now
    ON now.grain = was.grain AND now.entity_id = was.entity_id AND now.kpi = was.kpi
WHERE was.value IS DISTINCT FROM now.value
ORDER BY CASE grain WHEN 'company' THEN 0 WHEN 'team' THEN 1 WHEN 'person' THEN 2 ELSE 3 END, entity_id, kpi
