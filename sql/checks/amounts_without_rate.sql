-- Orders and ad spend in a foreign currency with no exchange rate on or before their date: their
-- amount cannot be converted to the company currency, so revenue or spend would silently miss them.
SELECT 'orders' AS dataset, record_key, CAST(amount AS VARCHAR) AS amount, currency, source_file, source_line
FROM stg_orders
WHERE amount_base IS NULL AND month >= $month_from AND month < $month_to
UNION ALL
SELECT 'ad_spend' AS dataset, record_key, CAST(cost AS VARCHAR) AS amount, currency, source_file, source_line
FROM stg_ad_spend
WHERE cost_base IS NULL AND month >= $month_from AND month < $month_to
