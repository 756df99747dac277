-- Ad spend in the company currency, attributed through the campaign (its team and owner), else
-- through the row's own team_id. `record_key` is date|channel|campaign_id; later copies get `#2`….
SELECT
    CASE WHEN s.key_copy = 1 THEN s.natural_key ELSE concat(s.natural_key, '#', CAST(s.key_copy AS VARCHAR)) END AS record_key,
    s.date,
    s.cost,
    coalesce(s.currency, $currency) AS currency,
    CASE
        WHEN coalesce(s.currency, $currency) = $currency THEN s.cost
        ELSE CAST(s.cost * fx.rate_to_base AS DECIMAL(18, 4))
    END AS cost_base,
    s.campaign_id,
    coalesce(c.team_id, s.team_id, 'unassigned') AS team_id,
    coalesce(c.owner_id, 'unassigned') AS person_id,
    s.channel,
    s.month,
    s.source_file,
    s.source_line
FROM (
    SELECT
        *,
        concat_ws('|', CAST(date AS VARCHAR), channel, coalesce(campaign_id, '')) AS natural_key
    FROM ad_spend
) AS s
LEFT JOIN campaigns AS c ON c.campaign_id = s.campaign_id
LEFT JOIN stg_fx_rates AS fx
    ON fx.currency = s.currency
    AND s.date >= fx.valid_from
    AND (fx.valid_to IS NULL OR s.date < fx.valid_to)
