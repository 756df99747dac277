-- The company's targets for every period (quarter and year targets tell whether they are on track).
SELECT
    period,
    entity_id,
    kpi,
    CAST(target AS DOUBLE) AS target
FROM targets
WHERE entity_type = 'company'
ORDER BY period, kpi
