-- Orders in the company currency with their attribution: person = owner, team = the owner's team,
-- channel = the channel of the lead the order came from. `amount_base` and `margin_base` are
-- converted per order at the rate valid on the order's date (company timezone) and rounded to 4
-- decimals; an order in a foreign currency with no rate has a null `amount_base` (a check lists it).
SELECT
    CASE WHEN o.key_copy = 1 THEN o.order_id ELSE concat(o.order_id, '#', CAST(o.key_copy AS VARCHAR)) END AS record_key,
    o.order_id,
    o.customer_id,
    o.order_at,
    o.status,
    o.refunded_at,
    o.lead_id,
    o.customer_email,
    o.amount,
    coalesce(o.currency, $currency) AS currency,
    CASE
        WHEN coalesce(o.currency, $currency) = $currency THEN o.amount
        ELSE CAST(o.amount * fx.rate_to_base AS DECIMAL(18, 4))
    END AS amount_base,
    CASE
        WHEN coalesce(o.currency, $currency) = $currency THEN o.gross_margin
        ELSE CAST(o.gross_margin * fx.rate_to_base AS DECIMAL(18, 4))
    END AS margin_base,
    o.owner_id AS person_id,
    coalesce(p.team_id, 'unassigned') AS team_id,
    coalesce(l.channel, 'unassigned') AS channel,
    o.month,
    o.source_file,
    o.source_line
FROM (SELECT *, local_date(order_at) AS local_date FROM orders) AS o
LEFT JOIN people AS p ON p.person_id = o.owner_id
LEFT JOIN stg_lead_channels AS l ON l.lead_id = o.lead_id
LEFT JOIN stg_fx_rates AS fx
    ON fx.currency = o.currency
    AND o.local_date >= fx.valid_from
    AND (fx.valid_to IS NULL OR o.local_date < fx.valid_to)
